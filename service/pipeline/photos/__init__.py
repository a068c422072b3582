"""
photos
------

Photos of artefacts, shared by the flat, ring and photogrammetry flows:
`images.py` finds and decodes every photo into sRGB the same way (the one
`Photo`), `panel.py` builds a flat artefact's true-size panel, `rectify.py`
straightens a photographed sheet, `spin.py` matches and frames turntable
frames. The flows themselves are in `pipeline/flows/`.
"""
