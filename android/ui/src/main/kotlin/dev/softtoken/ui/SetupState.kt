package dev.softtoken.ui

import androidx.compose.runtime.getValue
import androidx.compose.runtime.mutableStateOf
import androidx.compose.runtime.setValue
import dev.softtoken.SoftTokenClient
import dev.softtoken.SoftTokenException
import dev.softtoken.TokenInfo
import dev.softtoken.checkServiceIdInput
import dev.softtoken.checkUserIdInput
import kotlinx.coroutines.CoroutineScope
import kotlinx.coroutines.Job
import kotlinx.coroutines.launch

/**
 * The 初期設定 screen: the three fields, whether [送信] is enabled, the activation while it runs,
 * and its typed error with the next step. [onActivated] is told the new token.
 */
public class SetupState(
    private val client: SoftTokenClient,
    private val strings: Strings,
    private val scope: CoroutineScope,
    private val onActivated: (TokenInfo) -> Unit,
) {
    /** サービスID as typed, with the core's verdict. */
    public var serviceId: IdField by mutableStateOf(IdField.EMPTY)
        private set

    /** ユーザID as typed, with the core's verdict. */
    public var userId: IdField by mutableStateOf(IdField.EMPTY)
        private set

    /** 利用開始パスワード as typed; cleared once the token is set up. */
    public var password: String by mutableStateOf("")
        private set

    /** Whether the password is shown (hidden by default). */
    public var passwordVisible: Boolean by mutableStateOf(false)
        private set

    /** An activation is running (Argon2id takes a second or two on a phone). */
    public var busy: Boolean by mutableStateOf(false)
        private set

    /** The last activation's failure, until the next try. */
    public var error: SetupError? by mutableStateOf(null)
        private set

    /** [送信] is enabled: both IDs valid, a password typed, nothing running. */
    public val canSubmit: Boolean
        get() = !busy && serviceId.isComplete && userId.isComplete && password.isNotEmpty()

    public fun onServiceIdChange(typed: String) {
        serviceId = IdField(typed, checkServiceIdInput(typed))
    }

    public fun onUserIdChange(typed: String) {
        userId = IdField(typed, checkUserIdInput(typed))
    }

    public fun onPasswordChange(typed: String) {
        password = typed
    }

    public fun togglePasswordVisible() {
        passwordVisible = !passwordVisible
    }

    /** Sends the activation; `null` when [canSubmit] is false. The retry action calls this again. */
    public fun submit(): Job? {
        if (!canSubmit) return null
        busy = true
        error = null
        val service = serviceId.typed
        val user = userId.typed
        val secret = password
        return scope.launch {
            try {
                val token = client.activate(service, user, secret)
                password = ""
                onActivated(token)
            } catch (e: SoftTokenException) {
                error = SetupError.from(e, strings)
            } finally {
                busy = false
            }
        }
    }
}
