package dev.softtoken.ui

import androidx.compose.ui.Modifier
import androidx.compose.ui.platform.testTag

/** The test tags of the screens' nodes, one place for the composables and the UI tests. */
public object Tags {
    public const val SERVICE_ID: String = "setup.serviceId"
    public const val USER_ID: String = "setup.userId"
    public const val PASSWORD: String = "setup.password"
    public const val PASSWORD_TOGGLE: String = "setup.passwordToggle"
    public const val SUBMIT: String = "setup.submit"
    public const val BUSY: String = "setup.busy"
    public const val SETUP_ERROR: String = "setup.error"
    public const val RETRY: String = "setup.retry"
    public const val NEXT: String = "done.next"
    public const val CODE: String = "code.code"
    public const val COUNTDOWN: String = "code.countdown"
    public const val ANNOUNCER: String = "code.announcer"
    public const val COPY: String = "code.copy"
    public const val REFRESH: String = "code.refresh"
    public const val OPEN_TOKENS: String = "code.tokens"
    public const val OPEN_TRANSACTIONS: String = "code.transactions"
    public const val OPEN_PHONE_CHANGE: String = "code.phoneChange"
    public const val SET_UP_AGAIN: String = "code.setUpAgain"
    public const val BACK: String = "back"
    public const val TOKEN_ROW: String = "tokens.row"
    public const val RENAME: String = "tokens.rename"
    public const val RENAME_FIELD: String = "tokens.renameField"
    public const val RENAME_SAVE: String = "tokens.renameSave"
    public const val REMOVE: String = "tokens.remove"
    public const val REMOVE_CONFIRM: String = "tokens.removeConfirm"
    public const val REMOVE_CANCEL: String = "tokens.removeCancel"
    public const val ADD_TOKEN: String = "tokens.add"
    public const val TX_ROW: String = "tx.row"
    public const val APPROVE: String = "tx.approve"
    public const val REJECT: String = "tx.reject"
    public const val TX_SHOW_CODE: String = "tx.showCode"
    public const val TX_CODE: String = "tx.code"
    public const val TX_OUTCOME: String = "tx.outcome"
    public const val OFFLINE_ACCOUNT: String = "tx.offlineAccount"
    public const val OFFLINE_AMOUNT: String = "tx.offlineAmount"
    public const val OFFLINE_GENERATE: String = "tx.offlineGenerate"
    public const val OFFLINE_CODE: String = "tx.offlineCode"

    /** A banner's tag for its kind. */
    public fun banner(kind: BannerKind): String = "banner.${kind.name}"
}

internal fun Modifier.tag(tag: String): Modifier = testTag(tag)
