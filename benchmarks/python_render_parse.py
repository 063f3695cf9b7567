"""The Python reference for the deptree benchmark: what MaestroNG does before it can look at
an environment, minus MaestroNG itself: render the file with Jinja2 (a FileSystemLoader at the
file's directory, `env` = the process environment) and parse the result with PyYAML's C
loader. Prints the in-process seconds of render and parse on stderr.

Usage: /usr/bin/python3 python_render_parse.py FILE
"""
import os
import sys
import time

t0 = time.perf_counter()
import jinja2  # noqa: E402
import yaml  # noqa: E402

path = sys.argv[1]
directory = os.path.dirname(os.path.abspath(path))
with open(path) as f:
    text = f.read()
t1 = time.perf_counter()
env = jinja2.Environment(loader=jinja2.FileSystemLoader(directory))
rendered = env.from_string(text).render(env=os.environ)
t2 = time.perf_counter()
doc = yaml.load(rendered, Loader=yaml.CSafeLoader)
t3 = time.perf_counter()
n = sum(len(s.get("instances", {})) for s in doc["services"].values())
sys.stderr.write("python: import %.3f s, render %.3f s, parse %.3f s, %d instances\n"
                 % (t1 - t0, t2 - t1, t3 - t2, n))
