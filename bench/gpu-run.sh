#!/usr/bin/env bash
# The benchmark on an offline NVIDIA machine: tfjs on WebGPU (Dawn through Vulkan) beside
# PyTorch CUDA, in one run. Prepared here (see docs/benchmarks.md, "GPU run"):
#   bench/dist/run-bench.mjs   the bench bundled into one file (webgpu left external)
#   bench/dist/node_modules/webgpu   index.js, package.json and dist/linux-x64 (dawn.node)
#   .gpu/node.xz               this machine's Node binary;  .gl/*.deb  the Vulkan/EGL loaders
# Writes the table into $OUT (or /tmp) and prints it.
set -euo pipefail
out="${OUT:-/tmp}"
for f in .gl/*.deb; do dpkg -x "$f" /; done
ldconfig
export VK_DRIVER_FILES=/usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json XDG_RUNTIME_DIR=/tmp
xz -dc .gpu/node.xz > /tmp/node && chmod +x /tmp/node
nvidia-smi --query-gpu=name,driver_version --format=csv,noheader || true
/tmp/node bench/dist/run-bench.mjs --backends webgpu --torch python3 --torch-device cuda \
  --section gpu --title "GPU: tfjs WebGPU (Dawn, Vulkan) against PyTorch CUDA" \
  --markdown "$out/benchmarks-gpu.md" --json "$out/gpu-results.json" "$@" 2>&1 | tee "$out/gpu-log.txt"
# The compiled step against eager on the same card: dispatches, submissions, buffers created,
# wall ms, and host ms on Dawn's null device (tested on llvmpipe: `pnpm bench --workloads compiled`).
/tmp/node bench/dist/run-bench.mjs --workloads compiled --backends webgpu --torch none \
  --section gpu --title "Compiled WebGPU step against eager, GPU" \
  --markdown "$out/benchmarks-gpu.md" --json "$out/gpu-compiled.json" 2>&1 | tee -a "$out/gpu-log.txt"
