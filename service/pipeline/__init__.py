"""
pipeline
--------

Pure processing: files in, files plus `manifest.json` out. No Flask, no
storage, no database, no environment. `flows.process` is the entry point;
see README.md in this folder for the layout and what may import what.
"""
