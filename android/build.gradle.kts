// The Android library (AAR) build of dev.softtoken. The JVM tests run with Maven (pom.xml,
// `cargo xtask kotlin`); this file is what an Android app build uses. It expects:
// - the generated bindings in src/main/kotlin-generated (`cargo xtask bindings`);
// - the native library per ABI in src/main/jniLibs/<abi>/libsofttoken_ffi.so, cross-compiled
//   for the Android targets (see README.md).

plugins {
    id("com.android.library")
    id("org.jetbrains.kotlin.android")
}

android {
    namespace = "dev.softtoken"
    compileSdk = 36

    defaultConfig {
        minSdk = 26
        consumerProguardFiles("consumer-rules.pro")
    }

    sourceSets {
        getByName("main") {
            java.srcDirs("src/main/kotlin", "src/main/kotlin-generated")
            jniLibs.srcDirs("src/main/jniLibs")
        }
    }

    compileOptions {
        sourceCompatibility = JavaVersion.VERSION_17
        targetCompatibility = JavaVersion.VERSION_17
    }
}

kotlin {
    jvmToolchain(17)
}

dependencies {
    // The @aar carries JNA's own native libjnidispatch.so for each Android ABI.
    implementation("net.java.dev.jna:jna:5.19.1@aar")
    implementation("org.jetbrains.kotlinx:kotlinx-coroutines-android:1.11.0")
}
