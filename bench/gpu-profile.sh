#!/usr/bin/env bash
# On an offline NVIDIA machine (prepared by bench/gpu-prepare.sh, carried: bench/dist .gpu .gl):
# profiles one training step of MobileFaceNet and iResNet-18 (112×112, B 64) on tfjs WebGPU with
# tfjs' filter-gradient kernels ('stock') and with @arcface/backend's ('ours'), each with
# WEBGPU_CPU_FORWARD true (tfjs' default) and false (selectBackend's), then times the training
# steps and inference against PyTorch CUDA with ours. Writes into $OUT (or /tmp):
#   profile-log.txt, profile-<kernels>-forward-<flag>.json, benchmarks-gpu.md, gpu-results.json
set -uo pipefail
out="${OUT:-/tmp}"
log="$out/profile-log.txt"
for f in .gl/*.deb; do dpkg -x "$f" /; done
ldconfig
export VK_DRIVER_FILES=/usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json XDG_RUNTIME_DIR=/tmp
xz -dc .gpu/node.xz > /tmp/node && chmod +x /tmp/node
nvidia-smi --query-gpu=name,driver_version --format=csv,noheader 2>&1 | tee "$log"
# GPU timestamps for tf.profile (falls back to none if Dawn refuses the options).
dawn='enable-dawn-features=allow_unsafe_apis+disable-dawn-features=timestamp_quantization'
profile() {
  echo "=== kernels $1, WEBGPU_CPU_FORWARD=$2 ===" | tee -a "$log"
  timeout "$3" /tmp/node bench/dist/run-bench.mjs --profile --backends webgpu --networks mobilefacenet,iresnet18 \
    --train-reps 2 --profile-top 20 --webgpu-kernels "$1" --flags "WEBGPU_CPU_FORWARD=$2" --dawn-flags "$dawn" \
    --json "$out/profile-$1-forward-$2.json" 2>&1 | tee -a "$log"
}
# `bash bench/gpu-profile.sh quick`: only the fix with selectBackend's flags, one timed step,
# and no PyTorch run (a short second look).
if [ "${1:-}" = quick ]; then
  extra="${2:-}"
  echo "=== kernels ours, WEBGPU_CPU_FORWARD=false ${extra} ===" | tee -a "$log"
  timeout 100 /tmp/node bench/dist/run-bench.mjs --profile --backends webgpu --networks mobilefacenet,iresnet18 \
    --train-reps 1 --profile-top 20 --webgpu-kernels ours --flags "WEBGPU_CPU_FORWARD=false${extra:+,$extra}" --dawn-flags "$dawn" \
    --json "$out/profile-quick.json" 2>&1 | tee -a "$log"
  exit 0
fi
# Most telling first: tfjs as it comes, then the fix with selectBackend's flags.
profile stock true 100
profile ours false 50
profile stock false 100
profile ours true 50
echo "=== bench: training and inference, ours, against PyTorch CUDA ===" | tee -a "$log"
timeout 90 /tmp/node bench/dist/run-bench.mjs --backends webgpu --workloads train,infer --train-reps 3 \
  --torch python3 --torch-device cuda --section gpu --title "GPU: tfjs WebGPU (Dawn, Vulkan) against PyTorch CUDA" \
  --markdown "$out/benchmarks-gpu.md" --json "$out/gpu-results.json" 2>&1 | tee -a "$log"
