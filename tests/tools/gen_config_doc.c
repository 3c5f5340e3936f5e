/* gen_config_doc.c - prints docs/configuration.md from the configuration table. */
#include <stdio.h>
#include <string.h>

#include "core/core.h"

static const char *type_name(const struct cfg_opt *o)
{
	switch (o->type) {
	case CFG_BOOL: return "boolean";
	case CFG_INT: return "number";
	case CFG_ENUM: return "one of";
	case CFG_ORIGIN: return "URL";
	case CFG_KEY: return "secret";
	case CFG_PROXIES: return "`true`, `false` or IP/CIDR list";
	case CFG_CIDRS: return "CIDR list";
	case CFG_OCTAL: return "octal mode";
	case CFG_STRING: break;
	}
	return "text";
}

int main(void)
{
	puts("# Configuration\n");
	puts("<!-- Generated from src/core/config_table.c by tests/tools/gen_config_doc.c (`make docs`). "
	     "A test fails when this page is stale. -->\n");
	puts("Symbolon reads the same environment variables as Pocket ID 2.14, with the same defaults. A `.env` "
	     "file in the working directory is read too; variables already set in the environment win. "
	     "Variables marked ⓕ can instead be given as `NAME_FILE`, the path of a file holding the value "
	     "(surrounding white space is trimmed).\n");
	puts("A value that cannot be used stops start-up with one line naming the variable, the problem and "
	     "the fix, for example:\n");
	puts("```\nconfig error: APP_URL=\"https://id.example.com/auth\" must not contain a path, query or "
	     "fragment; give the scheme and host only, e.g. https://id.example.com\n```\n");
	puts("| Variable | Default | Type | Meaning |");
	puts("|---|---|---|---|");
	for (size_t i = 0; i < config_table_len; i++) {
		const struct cfg_opt *o = &config_table[i];
		char type[160];
		if (o->type == CFG_ENUM) {
			snprintf(type, sizeof type, "`%s`", o->choices);
			for (char *p = type; *p; p++)
				if (*p == '|')
					*p = '/';
		} else if (o->type == CFG_INT) {
			snprintf(type, sizeof type, "number %ld–%ld", o->min, o->max);
		} else {
			snprintf(type, sizeof type, "%s", type_name(o));
		}
		const char *who = o->flags & CFG_CONTAINER  ? " *(container entrypoint)*"
		                  : o->flags & CFG_SYMBOLON ? " *(Symbolon only)*"
		                                            : "";
		printf("| `%s`%s | %s%s%s | %s | %s%s |\n", o->name, o->flags & CFG_FILE ? " ⓕ" : "", o->def ? "`" : "",
		       o->def ? o->def : "—", o->def ? "`" : "", type, o->help, who);
	}
	return 0;
}
