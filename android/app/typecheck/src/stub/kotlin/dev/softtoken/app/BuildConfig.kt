package dev.softtoken.app

/**
 * Stand-in for the `BuildConfig` class the Android Gradle plugin generates, so the glue that
 * reads it type-checks here. The same fields as `buildConfigField`s in ../../build.gradle.kts
 * (and AGP's `VERSION_NAME`); never packaged.
 */
object BuildConfig {
    const val PROVIDER_URL: String = "https://127.0.0.1:8443"
    const val PROVIDER_CA_PEM: String = ""
    const val VERSION_NAME: String = "0.1.0"
}
