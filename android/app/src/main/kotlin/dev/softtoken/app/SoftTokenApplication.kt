package dev.softtoken.app

import android.app.Application
import dev.softtoken.SoftTokenClient

/**
 * The process: initialises the seed store's context before anything else runs, and owns the
 * one [SoftTokenClient] of the process (created on first use, after [onCreate]).
 */
class SoftTokenApplication : Application() {
    /**
     * The client every screen uses. Created from the build's provider settings
     * ([BuildConfig.PROVIDER_URL], [BuildConfig.PROVIDER_CA_PEM]); its constructor throws a
     * [dev.softtoken.SoftTokenException] if the files directory, keystore or CA cannot be used.
     */
    val client: SoftTokenClient by lazy {
        SoftTokenClient(
            clientConfig(
                context = this,
                providerUrl = BuildConfig.PROVIDER_URL,
                providerCaPem = BuildConfig.PROVIDER_CA_PEM,
                appVersion = BuildConfig.VERSION_NAME,
            ),
        )
    }

    override fun onCreate() {
        super.onCreate()
        // Before the first core call: the keyring store reads the context through ndk-context.
        NativeKeystore.initialise(this)
    }
}
