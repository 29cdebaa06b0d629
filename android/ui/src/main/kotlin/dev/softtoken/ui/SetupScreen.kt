package dev.softtoken.ui

import androidx.compose.foundation.layout.Arrangement
import androidx.compose.foundation.layout.Row
import androidx.compose.foundation.layout.fillMaxWidth
import androidx.compose.foundation.text.KeyboardOptions
import androidx.compose.material3.CircularProgressIndicator
import androidx.compose.material3.MaterialTheme
import androidx.compose.material3.OutlinedTextField
import androidx.compose.material3.Text
import androidx.compose.material3.TextButton
import androidx.compose.runtime.Composable
import androidx.compose.ui.Alignment
import androidx.compose.ui.Modifier
import androidx.compose.ui.semantics.LiveRegionMode
import androidx.compose.ui.semantics.liveRegion
import androidx.compose.ui.semantics.semantics
import androidx.compose.ui.text.input.KeyboardType
import androidx.compose.ui.text.input.PasswordVisualTransformation
import androidx.compose.ui.text.input.VisualTransformation
import androidx.compose.ui.unit.dp

/** 初期設定: the three fields, [送信], the progress while activating, the typed error. */
@Composable
internal fun SetupScreen(state: SetupState, strings: Strings, onBack: (() -> Unit)?) {
    ScreenFrame(strings["setup.title"], onBack, strings["common.back"]) {
        Text(strings["setup.intro"], style = MaterialTheme.typography.bodyMedium)
        IdTextField(strings["setup.service_id"], state.serviceId, strings, Tags.SERVICE_ID, state::onServiceIdChange)
        IdTextField(strings["setup.user_id"], state.userId, strings, Tags.USER_ID, state::onUserIdChange)
        OutlinedTextField(
            value = state.password,
            onValueChange = state::onPasswordChange,
            label = { Text(strings["setup.password"]) },
            singleLine = true,
            visualTransformation =
                if (state.passwordVisible) VisualTransformation.None else PasswordVisualTransformation(),
            keyboardOptions = KeyboardOptions(keyboardType = KeyboardType.Password),
            trailingIcon = {
                TextButton(onClick = state::togglePasswordVisible, modifier = Modifier.touchTarget().tag(Tags.PASSWORD_TOGGLE)) {
                    Text(strings[if (state.passwordVisible) "setup.password.hide" else "setup.password.show"])
                }
            },
            modifier = Modifier.fillMaxWidth().tag(Tags.PASSWORD),
        )
        MainButton(strings["setup.submit"], Tags.SUBMIT, enabled = state.canSubmit) { state.submit() }
        if (state.busy) {
            Row(
                Modifier.fillMaxWidth().tag(Tags.BUSY).semantics { liveRegion = LiveRegionMode.Polite },
                verticalAlignment = Alignment.CenterVertically,
                horizontalArrangement = Arrangement.spacedBy(12.dp),
            ) {
                CircularProgressIndicator()
                Text(strings["setup.busy"])
            }
        }
        state.error?.let { error ->
            BannerView(Severity.ERROR, "${error.message}\n${error.nextStep}", strings, Tags.SETUP_ERROR) {
                if (error.canRetry) SideButton(strings["error.retry"], Tags.RETRY) { state.submit() }
            }
        }
    }
}

@Composable
private fun IdTextField(label: String, field: IdField, strings: Strings, tag: String, onChange: (String) -> Unit) {
    val message = field.message(strings)
    OutlinedTextField(
        value = field.typed,
        onValueChange = onChange,
        label = { Text(label) },
        singleLine = true,
        isError = field.isError,
        supportingText = message?.let { { Text(it) } },
        keyboardOptions = KeyboardOptions(keyboardType = KeyboardType.Ascii),
        modifier = Modifier.fillMaxWidth().tag(tag),
    )
}
