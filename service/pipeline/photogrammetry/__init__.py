"""
photogrammetry
--------------

The library of photogrammetry stages, one module each; the flow that chains
them is `flows/photogrammetry.py`.

- images.py        decode, orient, downscale, drop blurred and duplicate photos
- sfm.py           SIFT, matching and incremental mapping with pycolmap
- dense.py         plane-sweep NCC stereo and the consistency filter
- colmap_dense.py  COLMAP PatchMatch when pycolmap has CUDA
- cuda.py          the GPU extra: CUDA runtime libraries from the NVIDIA wheels, what pycolmap can do
- fuse.py          TSDF fusion, marching cubes, Poisson hole filling
- clean.py         carve by masks, cut the floor, keep the object, decimate
- texture.py       xatlas atlas and baking from the best views
- orient.py        +Y from the camera ring or ground, scale from metadata
"""

from __future__ import annotations

from service.pipeline.photogrammetry.cuda import preload_cuda_libs

# before any stage imports pycolmap: its CUDA build links the NVIDIA wheels' libraries
preload_cuda_libs()
