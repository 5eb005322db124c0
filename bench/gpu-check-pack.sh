#!/usr/bin/env bash
# Packs `deno task gpu-check` for a GPU machine without network: the check bundled into one
# JavaScript file (deno bundle), the Deno binary that runs it, the Vulkan loader (libvulkan1 from
# apt-get download, unpacked) and run.sh. Output: .gpu-check-pack/gpu-check.tar.xz (git-ignored);
# fails when the archive exceeds 64 MiB.
#
# On the GPU machine:
#   tar -xJf gpu-check.tar.xz && gpu-check/run.sh            # full check
#   gpu-check/run.sh --quick                                  # seconds, e.g. on a software driver
# NVIDIA: run.sh uses VK_DRIVER_FILES=/usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json when
# that file exists; set VK_DRIVER_FILES yourself if the driver's ICD json lives elsewhere.
set -euo pipefail
cd "$(dirname "$0")/.."
out=.gpu-check-pack
limit=$((64 * 1024 * 1024))
rm -rf "$out"
mkdir -p "$out/gpu-check/lib"

deno bundle --quiet --platform deno -o "$out/gpu-check/gpu-check.js" bench/gpu_check.ts
cp -L "$(command -v deno)" "$out/gpu-check/deno"

if (cd "$out" && apt-get download libvulkan1 >/dev/null 2>&1); then
  dpkg-deb -x "$out"/libvulkan1_*.deb "$out/vk"
  cp -L "$out"/vk/usr/lib/*/libvulkan.so.1 "$out/gpu-check/lib/"
  rm -rf "$out/vk" "$out"/libvulkan1_*.deb
else
  echo "gpu-check-pack: apt-get download libvulkan1 failed; the package relies on the target's libvulkan.so.1" >&2
fi

cat >"$out/gpu-check/run.sh" <<'RUN'
#!/bin/sh
# Runs diffrun's GPU check with the Deno binary and Vulkan loader shipped beside it.
here=$(cd "$(dirname "$0")" && pwd)
export LD_LIBRARY_PATH="$here/lib${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
nvidia_icd=/usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json
if [ -z "${VK_DRIVER_FILES:-}" ] && [ -f "$nvidia_icd" ]; then export VK_DRIVER_FILES="$nvidia_icd"; fi
export DENO_NO_UPDATE_CHECK=1 DENO_DIR="${DENO_DIR:-$here/.deno}"
exec "$here/deno" run --allow-read --allow-env --allow-sys "$here/gpu-check.js" "$@"
RUN
chmod +x "$out/gpu-check/run.sh"

tar -C "$out" -cf - gpu-check | xz -6 -T2 >"$out/gpu-check.tar.xz"
unpacked=$(du -sb "$out/gpu-check" | cut -f1)
packed=$(stat -c %s "$out/gpu-check.tar.xz")
echo "gpu-check-pack: $out/gpu-check.tar.xz $((packed / 1024 / 1024)) MiB ($packed bytes); unpacked $((unpacked / 1024 / 1024)) MiB"
if [ "$packed" -gt "$limit" ]; then
  echo "gpu-check-pack: the archive is over 64 MiB" >&2
  exit 1
fi
