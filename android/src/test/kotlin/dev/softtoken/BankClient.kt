package dev.softtoken

import java.io.ByteArrayInputStream
import java.net.URI
import java.net.http.HttpClient
import java.net.http.HttpRequest
import java.net.http.HttpResponse
import java.security.KeyStore
import java.security.cert.CertificateFactory
import java.time.Duration
import javax.net.ssl.SSLContext
import javax.net.ssl.TrustManagerFactory

/**
 * The bank's typed HTTPS client of the provider (docs/openapi.yaml), named as the Rust test
 * kit's `BankClient`: issue, verify, revoke. HTTPS trusting only the provider's CA; JSON read
 * with small regexes (the answers are flat objects).
 */
class BankClient(
    private val url: String,
    caPem: String,
    private val apiKey: String,
    private val serviceId: String,
) {
    private val http: HttpClient = HttpClient.newBuilder()
        .sslContext(sslContextTrusting(caPem))
        .connectTimeout(Duration.ofSeconds(10))
        .build()

    /** Issues a token for [email] with [activationPassword]; returns its User ID. */
    fun issue(email: String, activationPassword: String): String {
        val body = post(
            "/v1/services/$serviceId/tokens",
            """{"email":"${jsonEscape(email)}","activation_password":"${jsonEscape(activationPassword)}"}""",
            expect = 201,
        )
        return stringField(body, "user_id")
    }

    /** The bank's check of a code (認証確認, login): `accepted`, `rejected`, …. */
    fun verify(userId: String, otp: String): String {
        val body = post(
            "/v1/services/$serviceId/tokens/$userId/verify",
            """{"otp":"${jsonEscape(otp)}"}""",
            expect = 200,
        )
        return stringField(body, "result")
    }

    /** Revokes the token (before a phone change). */
    fun revoke(userId: String) {
        post("/v1/services/$serviceId/tokens/$userId/revoke", "", expect = 200)
    }

    private fun post(path: String, json: String, expect: Int): String {
        val request = HttpRequest.newBuilder(URI.create(url + path))
            .header("Authorization", "Bearer $apiKey")
            .header("Content-Type", "application/json")
            .timeout(Duration.ofSeconds(30))
            .POST(HttpRequest.BodyPublishers.ofString(json))
            .build()
        val response = http.send(request, HttpResponse.BodyHandlers.ofString())
        check(response.statusCode() == expect) {
            "POST $path: expected $expect, got ${response.statusCode()}: ${response.body()}"
        }
        return response.body()
    }

    private companion object {
        fun sslContextTrusting(caPem: String): SSLContext {
            val certificates = CertificateFactory.getInstance("X.509")
                .generateCertificates(ByteArrayInputStream(caPem.toByteArray()))
            val keyStore = KeyStore.getInstance(KeyStore.getDefaultType()).apply {
                load(null, null)
                certificates.forEachIndexed { i, cert -> setCertificateEntry("ca$i", cert) }
            }
            val trust = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm())
            trust.init(keyStore)
            return SSLContext.getInstance("TLS").apply { init(null, trust.trustManagers, null) }
        }

        fun stringField(json: String, name: String): String =
            Regex("\"$name\"\\s*:\\s*\"([^\"]*)\"").find(json)?.groupValues?.get(1)
                ?: error("no \"$name\" in $json")

        fun jsonEscape(s: String): String = s.replace("\\", "\\\\").replace("\"", "\\\"")
    }
}
