"""
photos
------

Photo sets: flat artefacts (paintings, prints, textiles, manuscript pages)
become true-size panels for wall placement, and turntable rings become 360°
spin sets. `images.py` decodes every photo into sRGB the same way for both.
"""
