"""
provenance
----------

Content Credentials (C2PA): a development certificate authority for
testing, signing of the public derivatives with the institution's
certificate, and server-side verification for the public /verify page.
"""
