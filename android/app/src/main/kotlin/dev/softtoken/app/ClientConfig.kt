package dev.softtoken.app

import android.content.Context
import android.os.Build
import dev.softtoken.DeviceInfo
import dev.softtoken.SoftTokenConfig
import dev.softtoken.softTokenConfig

/** The provider's limits on what the app reports about the phone (DeviceInfo's fields). */
private const val MODEL_MAX_CHARS = 64
private const val APP_VERSION_MAX_CHARS = 32

/**
 * The core's configuration for this phone: the provider at [providerUrl], trusting only
 * [providerCaPem]; the token metadata in the app's files directory (`tokens.json`, the one file
 * the backup rules keep); seeds in the platform keystore (the default).
 */
internal fun clientConfig(
    context: Context,
    providerUrl: String,
    providerCaPem: String,
    appVersion: String,
): SoftTokenConfig = softTokenConfig(providerUrl, providerCaPem, context.filesDir) {
    device = DeviceInfo(
        platform = "android",
        model = Build.MODEL.take(MODEL_MAX_CHARS),
        appVersion = appVersion.take(APP_VERSION_MAX_CHARS),
    )
}
