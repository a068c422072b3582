"""
interop
-------

Exports for the museum ecosystem, built from public fields only: IIIF
Presentation 3.0 manifests and collections, Europeana EDM (RDF/XML, 3D
profile) and Smithsonian Voyager scenes. Pure functions: a `Published`
record in, a dict or bytes out (no Flask, no database); `api/interop.py`
serves them.
"""
