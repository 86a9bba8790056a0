#!/usr/bin/env bash
# Prepares, on this machine, what bench/gpu-run.sh and bench/gpu-profile.sh need on an offline
# NVIDIA machine (all of it ignored by git; pass bench/dist, .gpu and .gl as carried paths):
#   bench/dist/run-bench.mjs          the bench bundled into one file (webgpu left external)
#   bench/dist/node_modules/webgpu    index.js, package.json and dist/linux-x64 (dawn.node)
#   .gpu/node.xz                      this machine's Node binary
#   .gl/*.deb                         the Vulkan/EGL loaders (Debian packages)
set -euo pipefail
cd "$(dirname "$0")/.."
# Node's ESM has no `require`; tfjs' node bundle uses it for 'util', so the bundle gets one.
./node_modules/.bin/esbuild bench/src/run-bench.ts --bundle --platform=node --format=esm \
  --conditions=@arcface/source --external:webgpu --external:onnxruntime-node --outfile=bench/dist/run-bench.mjs --log-level=warning \
  "--banner:js=import { createRequire as __arcfaceCreateRequire } from 'node:module'; const require = __arcfaceCreateRequire(import.meta.url);"
if [ ! -f bench/dist/node_modules/webgpu/dist/linux-x64/dawn.node ]; then
  src="$(cd bench && node -e "console.log(require('node:path').dirname(require.resolve('webgpu/package.json')))")"
  mkdir -p bench/dist/node_modules/webgpu/dist
  cp "$src/index.js" "$src/package.json" bench/dist/node_modules/webgpu/
  cp -r "$src/dist/linux-x64" bench/dist/node_modules/webgpu/dist/
fi
[ -f .gpu/node.xz ] || { mkdir -p .gpu; xz -T2 -6 -c "$(command -v node)" > .gpu/node.xz; }
if ! ls .gl/*.deb >/dev/null 2>&1; then
  mkdir -p .gl /tmp/amd64/partial
  o='-oAPT::Architecture=amd64 -oAPT::Architectures=amd64 -oDir::State::Lists=/tmp/amd64'
  apt-get $o update >/dev/null
  (cd .gl && apt-get $o download libvulkan1 libegl1 libglvnd0 libopengl0 libgl1 libglx0 libgles2)
fi
du -sh bench/dist .gpu .gl
