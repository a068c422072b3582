#!/usr/bin/env bash
# Copy the viewer's front-end files from node_modules (versions pinned in package-lock.json) into
# assets/vendor/, with their licences, and pre-compress them. Repeatable and idempotent: it checks
# the installed versions, rewrites only what changed, and the share pages read assets/vendor/vendor.json.
#   scripts/vendor-assets.sh        (scripts/setup.sh runs it after `npm ci`)
set -euo pipefail
cd "$(dirname "$0")/.."

MV_VERSION=4.4.0        # @google/model-viewer: keep in step with package.json
THREE_VERSION=0.183.2   # three: the Draco decoder and Basis transcoder model-viewer's loaders expect
SWAGGER_VERSION=5.32.0  # swagger-ui-dist: the /api/docs reference page (service/api/docs.py SWAGGER_VERSION)
AXE_VERSION=4.14.1      # axe-core (devDependency): accessibility checks in the browser tests (no page loads it)

version_of() { node -p "require('./node_modules/$1/package.json').version" 2>/dev/null || echo missing; }
for pair in "@google/model-viewer=$MV_VERSION" "three=$THREE_VERSION" "swagger-ui-dist=$SWAGGER_VERSION" "axe-core=$AXE_VERSION"; do
  pkg=${pair%%=*}; want=${pair#*=}; have=$(version_of "$pkg")
  if [ "$have" != "$want" ]; then
    echo "vendor-assets: node_modules has $pkg $have, expected $want; run 'npm ci' first" >&2
    exit 1
  fi
done

OUT=assets/vendor
MV_DIR=model-viewer-$MV_VERSION
DRACO_DIR=draco-three-$THREE_VERSION
BASIS_DIR=basis-three-$THREE_VERSION
SWAGGER_DIR=swagger-ui-$SWAGGER_VERSION
mkdir -p "$OUT/$MV_DIR" "$OUT/$DRACO_DIR" "$OUT/$BASIS_DIR" "$OUT/$SWAGGER_DIR"

copy() {  # copy SRC DST only when the bytes differ (keeps mtimes, so reruns are no-ops)
  if ! cmp -s "$1" "$2"; then cp "$1" "$2"; echo "vendor-assets: $2"; fi
}
MV=node_modules/@google/model-viewer
DRACO=node_modules/three/examples/jsm/libs/draco/gltf
BASIS=node_modules/three/examples/jsm/libs/basis
copy "$MV/dist/model-viewer.min.js" "$OUT/$MV_DIR/model-viewer.min.js"
copy "$MV/LICENSE" "$OUT/$MV_DIR/LICENSE"
for f in draco_decoder.js draco_decoder.wasm draco_wasm_wrapper.js; do copy "$DRACO/$f" "$OUT/$DRACO_DIR/$f"; done
copy node_modules/three/LICENSE "$OUT/$DRACO_DIR/LICENSE.three"
copy node_modules/three/examples/jsm/libs/draco/README.md "$OUT/$DRACO_DIR/README.md"
for f in basis_transcoder.js basis_transcoder.wasm; do copy "$BASIS/$f" "$OUT/$BASIS_DIR/$f"; done
copy node_modules/three/LICENSE "$OUT/$BASIS_DIR/LICENSE.three"
copy "$BASIS/README.md" "$OUT/$BASIS_DIR/README.md"
for f in swagger-ui-bundle.js swagger-ui.css LICENSE NOTICE; do
  copy "node_modules/swagger-ui-dist/$f" "$OUT/$SWAGGER_DIR/$f"
done
AXE_DIR=axe-core-$AXE_VERSION
mkdir -p "$OUT/$AXE_DIR"
copy node_modules/axe-core/axe.min.js "$OUT/$AXE_DIR/axe.min.js"
copy node_modules/axe-core/LICENSE "$OUT/$AXE_DIR/LICENSE"

# gzip copies served to browsers that accept them (-n: no name/time, so the output is reproducible)
for f in "$OUT"/*/*.js "$OUT"/*/*.wasm "$OUT"/*/*.css; do
  if [ ! -f "$f.gz" ] || [ "$f" -nt "$f.gz" ]; then gzip -9 -n -c "$f" > "$f.gz"; fi
done

cat > "$OUT/vendor.json.tmp" <<JSON
{
  "model_viewer": "$MV_DIR/model-viewer.min.js",
  "draco": "$DRACO_DIR/",
  "basis": "$BASIS_DIR/",
  "versions": {"@google/model-viewer": "$MV_VERSION", "three": "$THREE_VERSION"}
}
JSON
if cmp -s "$OUT/vendor.json.tmp" "$OUT/vendor.json"; then rm "$OUT/vendor.json.tmp"; else mv "$OUT/vendor.json.tmp" "$OUT/vendor.json"; fi
