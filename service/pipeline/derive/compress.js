// Draco-compress GLB files with glTF-Transform in one Node process.
// usage: node compress.js '<json options>' in1.glb out1.glb [in2.glb out2.glb ...]
// Prints one JSON line per output: {"file", "bytes"}.
const { NodeIO } = require('@gltf-transform/core');
const { ALL_EXTENSIONS } = require('@gltf-transform/extensions');
const { draco } = require('@gltf-transform/functions');
const draco3d = require('draco3dgltf');
const fs = require('fs');
const path = require('path');

(async () => {
  const [opts, ...files] = process.argv.slice(2);
  const options = JSON.parse(opts);
  const io = new NodeIO().registerExtensions(ALL_EXTENSIONS).registerDependencies({
    'draco3d.decoder': await draco3d.createDecoderModule(),
    'draco3d.encoder': await draco3d.createEncoderModule(),
  });
  for (let i = 0; i + 1 < files.length; i += 2) {
    const doc = await io.read(files[i]);
    await doc.transform(draco({ method: 'edgebreaker', ...options }));
    await io.write(files[i + 1], doc);
    console.log(JSON.stringify({ file: path.basename(files[i + 1]), bytes: fs.statSync(files[i + 1]).size }));
  }
})().catch((e) => { console.error(String(e && e.stack || e)); process.exit(2); });
