#!/usr/bin/env bash
# Builds ios/build/SoftTokenFFIC.xcframework (the Rust library for iOS device and simulator with
# the C header and module map) for Package.swift's binary target. Mac only: needs Xcode and
# rustup. Run from anywhere: ios/scripts/build-xcframework.sh
set -euo pipefail
cd "$(dirname "$0")/../.."            # the workspace root

PROFILE=mobile                        # Cargo.toml: size-tuned, unwinding, symbols kept
LIB=libsofttoken_ffi.a
OUT=ios/build
STAGE=target/xcframework

rustup target add aarch64-apple-ios aarch64-apple-ios-sim x86_64-apple-ios
export IPHONEOS_DEPLOYMENT_TARGET=15.0
for target in aarch64-apple-ios aarch64-apple-ios-sim x86_64-apple-ios; do
  cargo build --locked -p softtoken-ffi --profile "$PROFILE" --target "$target"
done

# The Swift bindings (ios/Sources/SoftTokenFFI) and the C header, from the device library's
# metadata (library mode; uniffi reads it from the unstripped staticlib).
cargo build --locked -p softtoken-uniffi-bindgen
rm -rf "$STAGE" && mkdir -p "$STAGE/headers" "$STAGE/gen" "$STAGE/sim"
target/debug/uniffi-bindgen generate --no-format --language swift --out-dir "$STAGE/gen" \
  --library "target/aarch64-apple-ios/$PROFILE/$LIB"
cp "$STAGE/gen/SoftTokenFFI.swift" ios/Sources/SoftTokenFFI/SoftTokenFFI.swift
cp "$STAGE/gen/"*.h "$STAGE/headers/"
# One module.modulemap for the whole framework: Xcode reads exactly that name in Headers/.
cat "$STAGE/gen/"*.modulemap > "$STAGE/headers/module.modulemap"

# One simulator library for both simulator architectures.
lipo -create -output "$STAGE/sim/$LIB" \
  "target/aarch64-apple-ios-sim/$PROFILE/$LIB" "target/x86_64-apple-ios/$PROFILE/$LIB"

rm -rf "$OUT/SoftTokenFFIC.xcframework" && mkdir -p "$OUT"
xcodebuild -create-xcframework \
  -library "target/aarch64-apple-ios/$PROFILE/$LIB" -headers "$STAGE/headers" \
  -library "$STAGE/sim/$LIB" -headers "$STAGE/headers" \
  -output "$OUT/SoftTokenFFIC.xcframework"
echo "built $OUT/SoftTokenFFIC.xcframework"
