/*
 * list.c - Pocket ID's list requests (reference §0.1): pagination[page],
 * pagination[limit], sort[column], sort[direction], filters[<field>] and the
 * response envelope. Sort columns come from each list's own table of allowed
 * names, so no client text ever reaches the SQL.
 */
#include <stdlib.h>
#include <string.h>

#include "../http/http.h"
#include "admin.h"

#define DEFAULT_LIMIT 20
#define MAX_LIMIT     100

static long number(struct http_req *r, const char *name, long def, long min, long max)
{
	const char *v = http_query(r, name);
	long n;
	if (!v || parse_long(v, min, max, &n))
		return def;
	return n;
}

enum sy_err list_parse(struct http_req *r, const struct list_column *cols, size_t ncols, const char *def_order,
                       struct list_req *out)
{
	memset(out, 0, sizeof *out);
	out->page = number(r, "pagination[page]", 1, 1, 1000000000L);
	out->limit = number(r, "pagination[limit]", DEFAULT_LIMIT, 1, 1000000000L);
	if (out->limit > MAX_LIMIT)
		out->limit = MAX_LIMIT;
	out->order = def_order;
	const char *col = http_query(r, "sort[column]"), *dir = http_query(r, "sort[direction]");
	bool desc = dir && strcasecmp(dir, "desc") == 0;
	/* a one-column ascending tiebreak runs the same way as the column, so
	 * that an index on (column, tiebreak) delivers the rows in order without
	 * a sort, in either direction: then the order can be reversed too */
	bool simple = !strchr(def_order, ',') && !strchr(def_order, ' ');
	const char *sort = NULL;
	for (size_t i = 0; col && i < ncols; i++)
		if (strcmp(cols[i].name, col) == 0)
			sort = cols[i].sql;
	if (sort)
		out->order = arena_printf(&r->arena, "%s %s, %s%s", sort, desc ? "DESC" : "ASC", def_order,
		                          simple && desc ? " DESC" : "");
	if (simple)
		out->order_reversed = sort ? arena_printf(&r->arena, "%s %s, %s%s", sort, desc ? "ASC" : "DESC",
		                                          def_order, desc ? "" : " DESC")
		                           : arena_printf(&r->arena, "%s DESC", def_order);
	if (!out->order || (simple && !out->order_reversed))
		return SY_E_TOOBIG;
	const char *search = http_query(r, "search");
	out->search = search && *search ? search : NULL;
	return SY_OK;
}

const char *list_filter(struct http_req *r, const char *field)
{
	const char *v[1];
	if (http_query_all(r, arena_printf(&r->arena, "filters[%s]", field), v, 1) == 1)
		return v[0];
	if (http_query_all(r, arena_printf(&r->arena, "filters[%s][]", field), v, 1) == 1)
		return v[0];
	return NULL;
}

int list_filter_bool(struct http_req *r, const char *field)
{
	/* a repeated filter matches any of its values (filters[x]=a&filters[x]=b, or filters[x][]=...) */
	const char *v[16];
	size_t n = http_query_all(r, arena_printf(&r->arena, "filters[%s]", field), v, 8);
	n += http_query_all(r, arena_printf(&r->arena, "filters[%s][]", field), v + n, 8);
	bool yes = false, no = false;
	for (size_t i = 0; i < n; i++) {
		yes |= strcmp(v[i], "true") == 0;
		no |= strcmp(v[i], "false") == 0;
	}
	return yes == no ? -1 : yes ? 1 : 0;
}

char *list_like(struct http_req *r, const char *search)
{
	size_t n = strlen(search);
	char *out = arena_alloc(&r->arena, 2 * n + 3);
	if (!out)
		return NULL;
	size_t o = 0;
	out[o++] = '%';
	for (size_t i = 0; i < n; i++) {
		if (search[i] == '%' || search[i] == '_' || search[i] == '\\')
			out[o++] = '\\';
		out[o++] = search[i];
	}
	out[o++] = '%';
	out[o] = '\0';
	return out;
}

void list_clamp(struct list_req *q, int64_t total)
{
	int64_t pages = total == 0 ? 1 : (total + q->limit - 1) / q->limit;
	if (q->page > pages)
		q->page = (long)pages;
	q->offset = (int64_t)(q->page - 1) * q->limit;
	q->total = total;
}

json_t *list_envelope(json_t *data, const struct list_req *q)
{
	int64_t pages = q->total == 0 ? 1 : (q->total + q->limit - 1) / q->limit;
	return json_pack("{s:o, s:{s:I, s:I, s:I, s:I}}", "data", data, "pagination", "totalPages", (json_int_t)pages,
	                 "totalItems", (json_int_t)q->total, "currentPage", (json_int_t)q->page, "itemsPerPage",
	                 (json_int_t)q->limit);
}
