#!/usr/bin/python3
"""Reference renderer: renders a template with Python Jinja2 the way MaestroNG does.

Usage: jinja2_render.py FILE   (env = os.environ, FileSystemLoader(dirname(FILE)))
"""
import os
import sys

import jinja2

path = sys.argv[1]
environment = jinja2.Environment(loader=jinja2.FileSystemLoader(os.path.dirname(path) or '.'))
try:
    out = environment.get_template(os.path.basename(path)).render(env=os.environ)
except Exception as e:  # pylint: disable=broad-except
    sys.stderr.write('%s: %s\n' % (type(e).__name__, e))
    sys.exit(1)
sys.stdout.buffer.write(out.encode('utf-8'))
