// The SoftToken phone app: Android glue only (src/main/kotlin) around the shared Compose screens
// and state holders of ../ui/src/main/kotlin, on top of the library (the root project).
// Not built on the CI machine (no Android SDK there): see README.md for what is checked there.

plugins {
    id("com.android.application")
    id("org.jetbrains.kotlin.android")
    id("org.jetbrains.kotlin.plugin.compose")
}

// The provider this build talks to, from Gradle properties (-P or ~/.gradle/gradle.properties):
// - softtoken.providerUrl: the provider's https URL. Default: the dev provider on the phone's
//   127.0.0.1, reached through `adb reverse tcp:8443 tcp:8443` (its certificate names 127.0.0.1).
// - softtoken.providerCaPem: path of the provider CA's PEM file, the only CA the app trusts.
//   Default: the dev provider's (`serve --dev --data-dir /tmp/softtoken`).
val providerUrl: String =
    providers.gradleProperty("softtoken.providerUrl").getOrElse("https://127.0.0.1:8443")
val providerCaFile: File =
    file(providers.gradleProperty("softtoken.providerCaPem").getOrElse("/tmp/softtoken/tls/ca.pem"))
val providerCaPem: String = if (providerCaFile.isFile) {
    providerCaFile.readText()
} else {
    logger.warn("softtoken: no provider CA at $providerCaFile; the app will refuse to start (set -Psofttoken.providerCaPem)")
    ""
}

/** [value] as a Java string literal, for a BuildConfig field. */
fun javaString(value: String): String = buildString {
    append('"')
    for (c in value) {
        when (c) {
            '\\' -> append("\\\\")
            '"' -> append("\\\"")
            '\n' -> append("\\n")
            '\r' -> Unit
            else -> append(c)
        }
    }
    append('"')
}

android {
    namespace = "dev.softtoken.app"
    compileSdk = 36

    defaultConfig {
        applicationId = "dev.softtoken.app"
        // Android 9: older releases have had no security updates for years, and a bank's
        // authenticator should not run there. Everything used works from here (the library:
        // 26; Keystore AES-GCM: 23; Compose: 23). Lowering it is this one line.
        minSdk = 28
        // Android 16, what Google Play requires of new apps and updates from August 2026.
        targetSdk = 36
        versionCode = 1
        versionName = "0.1.0"

        buildConfigField("String", "PROVIDER_URL", javaString(providerUrl))
        buildConfigField("String", "PROVIDER_CA_PEM", javaString(providerCaPem))

        // The ABIs the library's jniLibs are built for (../README.md, "Android build").
        ndk {
            abiFilters += listOf("arm64-v8a", "armeabi-v7a", "x86_64")
        }
    }

    buildFeatures {
        compose = true
        buildConfig = true
    }

    sourceSets {
        getByName("main") {
            // kotlin: the glue that needs only the framework (type-checked on CI: typecheck/);
            // kotlin-androidx: the Activity and ViewModel (AndroidX, Compose: not checked there);
            // ../ui: the shared screens and state holders (contract C3), the same sources the
            // desktop Maven build compiles and tests.
            java.srcDirs("src/main/kotlin", "src/main/kotlin-androidx", "../ui/src/main/kotlin")
        }
    }

    buildTypes {
        getByName("release") {
            isMinifyEnabled = true
            proguardFiles(getDefaultProguardFile("proguard-android-optimize.txt"), "proguard-rules.pro")
        }
    }
}

// Java 17 for Kotlin and (from AGP 8.1, the toolchain being set) for Java, as the library.
kotlin {
    jvmToolchain(17)
}

dependencies {
    implementation(project(":"))

    implementation(platform("androidx.compose:compose-bom:2026.04.01"))
    implementation("androidx.compose.runtime:runtime")
    implementation("androidx.compose.foundation:foundation")
    implementation("androidx.compose.ui:ui")
    implementation("androidx.compose.material3:material3")

    implementation("androidx.activity:activity-compose:1.13.0")
    implementation("androidx.lifecycle:lifecycle-viewmodel-ktx:2.10.0")
    // The library's own (`implementation` there, so not visible here); the state holders use it.
    implementation("org.jetbrains.kotlinx:kotlinx-coroutines-android:1.11.0")
}
