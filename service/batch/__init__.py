"""
batch
-----

Batch digitisation: a collection folder or a CSV/XLSX manifest in, every
artefact processed and linked, resumable, with progress and reports.

Modules, in the order a run uses them: `items` (read the collection),
`check` (every problem of every row), `bundle` (what is uploaded and its
fingerprint), `state` (the resume file), `client` + `remote` (HTTP mode),
`local` (pipeline on this machine), `progress` (bars / JSON lines / quiet),
`report` (CSV, HTML), `labels` (A4 QR label sheet), `run` (the whole run),
`command` (the click command).
"""
