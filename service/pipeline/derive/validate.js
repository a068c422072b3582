// Validate glTF/GLB files with the Khronos glTF-Validator; print one JSON line per file.
const fs = require('fs');
const path = require('path');
const validator = require('gltf-validator');
(async () => {
  for (const f of process.argv.slice(2)) {
    const r = await validator.validateBytes(new Uint8Array(fs.readFileSync(f)), {
      maxIssues: 200,
      externalResourceFunction: (u) =>
        Promise.resolve(new Uint8Array(fs.readFileSync(path.resolve(path.dirname(f), decodeURIComponent(u))))),
    });
    const messages = r.issues.messages.filter((m) => m.severity <= 1).slice(0, 20)
      .map((m) => ({ code: m.code, message: m.message, pointer: m.pointer || null, severity: m.severity }));
    console.log(JSON.stringify({
      file: path.basename(f), errors: r.issues.numErrors, warnings: r.issues.numWarnings,
      infos: r.issues.numInfos, hints: r.issues.numHints, messages,
    }));
  }
})().catch((e) => { console.error(String(e)); process.exit(2); });
