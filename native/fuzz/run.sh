#!/usr/bin/env bash
# Builds the libFuzzer harnesses of the pure C++ kernels (AddressSanitizer + UBSan) into
# native/build/fuzz/ and runs each for SECONDS_PER_HARNESS seconds (default 20).
#   bash native/fuzz/run.sh [SECONDS_PER_HARNESS]
# Exits non-zero when a harness fails to build or finds a crash (the crash file is kept under
# native/build/fuzz/artifacts-<name>/); exits 0 with "skipped: ..." when clang++ or libFuzzer
# is missing, or 1 when FUZZ_REQUIRED=1 (CI: a missing toolchain must not pass as a run).
# FUZZ_CXX overrides the compiler (default clang++; CXX is not used, as CI often sets it to g++
# for the addon). Inputs in native/fuzz/regressions/<name>/ are run first every time.
set -uo pipefail

seconds="${1:-20}"
if ! [[ "$seconds" =~ ^[0-9]+$ ]] || [ "$seconds" -lt 1 ]; then
  echo "usage: bash native/fuzz/run.sh [SECONDS_PER_HARNESS>=1]" >&2
  exit 2
fi

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../.." && pwd)"
cd "$root" || exit 2

# Without the toolchain: skip, unless the caller needs the run.
skip() {
  if [ "${FUZZ_REQUIRED:-0}" = 1 ]; then
    echo "FAILED (FUZZ_REQUIRED=1): $1"
    exit 1
  fi
  echo "skipped: $1"
  exit 0
}

cxx="${FUZZ_CXX:-clang++}"
command -v "$cxx" >/dev/null 2>&1 || skip "$cxx not found"

out="native/build/fuzz"
mkdir -p "$out"

flags=(-std=c++17 -g -O1 -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined
       -ffp-contract=off -pthread -Inative/src -Inative/fuzz)

# libFuzzer present? (GCC, or clang without compiler-rt, cannot link -fsanitize=fuzzer.)
probe="$out/probe.cc"
printf '%s\n' '#include <cstddef>' '#include <cstdint>' \
  'extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t*, std::size_t) { return 0; }' >"$probe"
if ! "$cxx" "${flags[@]}" "$probe" -o "$out/probe" >"$out/probe.log" 2>&1; then
  skip "libFuzzer not available ($cxx -fsanitize=fuzzer,address,undefined failed, see $out/probe.log)"
fi

# name: kernel sources it links (native/src)
harnesses=(components stitch surface resample downsample)
sources_components="connected_components.cc component_stats.cc postprocess.cc fill_holes.cc"
sources_stitch="stitch.cc gaussian.cc block_mask.cc"
sources_surface="edt.cc surface.cc"
sources_resample="resample_labels.cc gaussian.cc"
sources_downsample="downsample.cc"

# Deterministic seed inputs of a few sizes (libFuzzer grows the corpus from them).
make_seeds() {
  local dir="$1" i state=12345 bytes
  mkdir -p "$dir"
  [ -n "$(ls -A "$dir" 2>/dev/null)" ] && return 0
  head -c 64 /dev/zero >"$dir/seed-zeros"
  head -c 256 /dev/zero | tr '\000' '\377' >"$dir/seed-ones"
  for size in 32 512 3000; do
    bytes=""
    for ((i = 0; i < size; i++)); do
      state=$(((state * 1103515245 + 12345) % 2147483648))
      bytes+="\\x$(printf '%02x' $(((state >> 16) & 255)))"
    done
    printf "$bytes" >"$dir/seed-random-$size"
  done
  bytes=""
  for ((i = 0; i < 1024; i++)); do bytes+="\\x$(printf '%02x' $((i % 7 == 0 ? 17 : (i % 5) * 51)))"; done
  printf "$bytes" >"$dir/seed-pattern-1024"
}

status=0
echo "fuzz: $seconds s per harness, binaries and corpora in $out/"
for name in "${harnesses[@]}"; do
  var="sources_$name"
  srcs=()
  for s in ${!var}; do srcs+=("native/src/$s"); done
  bin="$out/fuzz_$name"
  # Rebuild when a source, header or this script is newer than the binary.
  rebuild=0
  [ -x "$bin" ] || rebuild=1
  if [ "$rebuild" = 0 ]; then
    for f in native/fuzz/*.h native/fuzz/fuzz_"$name".cc native/fuzz/run.sh native/src/*.h "${srcs[@]}"; do
      if [ "$f" -nt "$bin" ]; then rebuild=1; break; fi
    done
  fi
  if [ "$rebuild" = 1 ]; then
    if ! "$cxx" "${flags[@]}" "native/fuzz/fuzz_$name.cc" "${srcs[@]}" -o "$bin" >"$out/build-$name.log" 2>&1; then
      echo "$name: BUILD FAILED (see $out/build-$name.log)"
      cat "$out/build-$name.log" | tail -20
      status=1
      continue
    fi
  fi

  corpus="$out/corpus-$name"
  artifacts="$out/artifacts-$name"
  make_seeds "$corpus"
  mkdir -p "$artifacts"
  log="$out/$name.log"
  # Inputs that once found a bug (native/fuzz/regressions/<name>/) run first, every time.
  extra=()
  [ -d "native/fuzz/regressions/$name" ] && extra+=("native/fuzz/regressions/$name")
  start=$(date +%s)
  UBSAN_OPTIONS="print_stacktrace=1:${UBSAN_OPTIONS:-}" \
    "$bin" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -max_len=4096 \
    -artifact_prefix="$artifacts/" -print_final_stats=1 "$corpus" ${extra[@]+"${extra[@]}"} >"$log" 2>&1
  rc=$?
  elapsed=$(($(date +%s) - start))
  runs=$(sed -n 's/^Done \([0-9]*\) runs.*/\1/p' "$log" | tail -1)
  [ -n "$runs" ] || runs=$(sed -n 's/^stat::number_of_executed_units: *\([0-9]*\).*/\1/p' "$log" | tail -1)
  if [ "$rc" = 0 ]; then
    echo "$name: ok, ${runs:-?} runs in ${elapsed} s, corpus $(ls "$corpus" | wc -l) files"
  else
    crash=$(ls -t "$artifacts" 2>/dev/null | head -1)
    echo "$name: FAILED (exit $rc) after ${runs:-?} runs in ${elapsed} s; crash file: $artifacts/${crash:-?}; log: $log"
    grep -m1 -E "ERROR: (AddressSanitizer|libFuzzer|UndefinedBehaviorSanitizer)|runtime error:|deadly signal" "$log"
    echo "  reproduce: $bin $artifacts/${crash:-CRASH_FILE}"
    status=1
  fi
done
exit "$status"
