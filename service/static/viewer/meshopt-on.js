/* heritage-ar: model-viewer 4.4.0 bundles three.js's MeshoptDecoder but only enables it after
   fetching a script from meshoptDecoderLocation; this empty same-origin script switches it on. */
