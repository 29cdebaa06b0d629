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
 * kit's `BankClient`: issue, verify, revoke, and a transfer's registration, outcome and typed
 * code (取引認証, docs/protocol.md §9.6). HTTPS trusting only the provider's CA; JSON read
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

    /**
     * Issues a token for [email] with [activationPassword]; returns its User ID. Each token is
     * issued to a customer of its own: tests share one provider, and a customer's new token
     * retires the old one at its 認証確認 (docs/protocol.md §7.5); a test of that change passes
     * the old token's [customerRef].
     */
    fun issue(
        email: String,
        activationPassword: String,
        customerRef: String = java.util.UUID.randomUUID().toString(),
    ): String {
        val body = post(
            "/v1/services/$serviceId/tokens",
            """{"email":"${jsonEscape(email)}","activation_password":"${jsonEscape(activationPassword)}","customer_ref":"$customerRef"}""",
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

    /** Revokes the token (a lost phone). */
    fun revoke(userId: String) {
        post("/v1/services/$serviceId/tokens/$userId/revoke", "", expect = 200)
    }

    /** A transfer's payee and amount as the bank's transfer page has them. */
    data class Transfer(
        val bankCode: String = "0001",
        val branchCode: String = "101",
        /** `ordinary`, `checking` or `savings`. */
        val accountType: String = "ordinary",
        val accountNumber: String = "1234567",
        /** As the bank has it: half-width kana here; the phone shows it full-width. */
        val name: String = "ﾔﾏﾀﾞ ﾀﾛｳ",
        val amountYen: Long = 1_234_567,
        val reference: String? = null,
    )

    /** Registers [transfer] for [userId]'s token; returns the transaction's id. */
    fun registerTransaction(userId: String, transfer: Transfer): String {
        val payee = """{"bank_code":"${transfer.bankCode}","branch_code":"${transfer.branchCode}",""" +
            """"account_type":"${transfer.accountType}","account_number":"${transfer.accountNumber}",""" +
            """"name":"${jsonEscape(transfer.name)}"}"""
        val reference = transfer.reference?.let { ""","reference":"${jsonEscape(it)}"""" } ?: ""
        val body = post(
            "/v1/services/$serviceId/tokens/$userId/transactions",
            """{"payee":$payee,"amount":{"value":${transfer.amountYen},"currency":"JPY"}$reference}""",
            expect = 201,
        )
        return stringField(body, "id")
    }

    /** A transaction's state as the bank reads it: `pending`, `approved`, `rejected`, …. */
    fun transactionState(transactionId: String): String =
        stringField(get("/v1/services/$serviceId/transactions/$transactionId"), "state")

    /** The bank's check of a typed transaction code: `accepted`, `rejected`, `replayed`, …. */
    fun verifyTransaction(transactionId: String, otp: String): String {
        val body = post(
            "/v1/services/$serviceId/transactions/$transactionId/verify",
            """{"otp":"${jsonEscape(otp)}"}""",
            expect = 200,
        )
        return stringField(body, "result")
    }

    private fun post(path: String, json: String, expect: Int): String =
        send("POST", path, request(path).POST(HttpRequest.BodyPublishers.ofString(json)), expect)

    private fun get(path: String): String = send("GET", path, request(path).GET(), expect = 200)

    private fun request(path: String): HttpRequest.Builder =
        HttpRequest.newBuilder(URI.create(url + path))
            .header("Authorization", "Bearer $apiKey")
            .header("Content-Type", "application/json")
            .timeout(Duration.ofSeconds(30))

    private fun send(method: String, path: String, request: HttpRequest.Builder, expect: Int): String {
        val response = http.send(request.build(), HttpResponse.BodyHandlers.ofString())
        if (response.statusCode() != expect) {
            throw Refused(
                response.statusCode(),
                optionalStringField(response.body(), "error"),
                "$method $path: expected $expect, got ${response.statusCode()}: ${response.body()}",
            )
        }
        return response.body()
    }

    /** The provider answered a bank call with another status than the call expects. */
    class Refused(
        /** The HTTP status. */
        val status: Int,
        /** The error body's `error` code (`token_not_active`, …), if it had one. */
        val code: String?,
        message: String,
    ) : IllegalStateException(message)

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
            optionalStringField(json, name) ?: error("no \"$name\" in $json")

        fun optionalStringField(json: String, name: String): String? =
            Regex("\"$name\"\\s*:\\s*\"([^\"]*)\"").find(json)?.groupValues?.get(1)

        fun jsonEscape(s: String): String = s.replace("\\", "\\\\").replace("\"", "\\\"")
    }
}
