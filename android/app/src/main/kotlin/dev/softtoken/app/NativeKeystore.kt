package dev.softtoken.app

import android.content.Context
import io.crates.keyring.Keyring

/**
 * The seed store's start-up: android-native-keyring-store finds the app's SharedPreferences
 * and the Android Keystore through the ndk-context crate, which is empty until the app hands it
 * a context. Without this, the first core call that touches a seed fails with "keystore
 * unavailable".
 */
internal object NativeKeystore {
    /**
     * Initialises the store's context from [context]'s application context (the store keeps a
     * global reference for the life of the process, so never an Activity). Call it once, before
     * the first [dev.softtoken.SoftTokenClient] is created: [SoftTokenApplication.onCreate] does.
     */
    fun initialise(context: Context) {
        Keyring.initializeNdkContext(context.applicationContext)
    }
}
