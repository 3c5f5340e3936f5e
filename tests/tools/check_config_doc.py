#!/usr/bin/env python3
"""Fails when docs/configuration.md differs from what gen_config_doc prints."""
import subprocess
import sys

want = subprocess.run([sys.argv[1]], stdout=subprocess.PIPE, check=True).stdout.decode()
have = open(sys.argv[2], encoding="utf-8").read()
if want != have:
    sys.exit("docs/configuration.md is stale: run `make docs` and commit the result")
print("docs/configuration.md is current")
