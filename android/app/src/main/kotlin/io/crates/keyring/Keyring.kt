package io.crates.keyring

import android.content.Context

/**
 * The JNI entry point of android-native-keyring-store, the seed store compiled into
 * `libsofttoken_ffi.so` (core/src/keystore/platform.rs).
 *
 * The crate exports `Java_io_crates_keyring_Keyring_00024Companion_initializeNdkContext`, so
 * this package, class and companion method name are fixed by it: renaming any of them (or
 * letting R8 do so, see proguard-rules.pro) breaks the link at run time. The crate's README
 * loads `libandroid_native_keyring_store.so`; here the crate is linked into the app's one
 * native library, so that is the one loaded (JNA maps the same file for the bindings).
 */
class Keyring {
    companion object {
        init {
            System.loadLibrary("softtoken_ffi")
        }

        /**
         * Hands the crate the JVM and [context] through ndk-context; the crate keeps a global
         * reference to it, so pass the application context. Later calls are ignored.
         */
        external fun initializeNdkContext(context: Context)
    }
}
