// The Android build (Android Studio / Gradle; not run on the CI machine, which tests the library
// with Maven: pom.xml). The root project is the library (build.gradle.kts here); `app` is the
// phone app on top of it (app/README.md).

pluginManagement {
    repositories {
        google()
        mavenCentral()
        gradlePluginPortal()
    }
    plugins {
        // AGP 8.x: AGP 9 compiles Kotlin itself and refuses the kotlin-android plugin both
        // modules apply; moving to it is one change for both, later.
        id("com.android.library") version "8.13.2"
        id("com.android.application") version "8.13.2"
        // The Kotlin the Maven builds use (pom.xml's kotlin.version).
        id("org.jetbrains.kotlin.android") version "2.4.21"
        id("org.jetbrains.kotlin.plugin.compose") version "2.4.21"
    }
}

dependencyResolutionManagement {
    repositories {
        google()
        mavenCentral()
    }
}

rootProject.name = "softtoken"
include(":app")
