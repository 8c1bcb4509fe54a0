"""A guide (TR3) validator compiled from pyx12's own maps (work in progress).

compile.py turns each pyx12 map into plain lookup tables (cached on disk); elements.py holds the element,
composite and syntax-note checks pyx12 makes. The engine that walks a file over the tables comes next.
"""
