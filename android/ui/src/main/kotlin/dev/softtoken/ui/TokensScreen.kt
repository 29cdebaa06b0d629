package dev.softtoken.ui

import androidx.compose.foundation.layout.Arrangement
import androidx.compose.foundation.layout.Column
import androidx.compose.foundation.layout.FlowRow
import androidx.compose.foundation.layout.fillMaxWidth
import androidx.compose.foundation.layout.padding
import androidx.compose.material3.AlertDialog
import androidx.compose.material3.OutlinedCard
import androidx.compose.material3.MaterialTheme
import androidx.compose.material3.OutlinedTextField
import androidx.compose.material3.Text
import androidx.compose.material3.TextButton
import androidx.compose.runtime.Composable
import androidx.compose.ui.Modifier
import androidx.compose.ui.text.font.FontWeight
import androidx.compose.ui.unit.dp

/** トークン一覧: each contract with its name and state; rename, remove (confirmed), add. */
@Composable
internal fun TokensScreen(app: AppState) {
    val strings = app.strings
    val state = app.tokens
    ScreenFrame(strings["tokens.title"], { app.back() }, strings["common.back"]) {
        Text(state.countLabel)
        state.error?.let { BannerView(Severity.ERROR, it, strings, "tokens.error") }
        for (token in state.tokens) {
            OutlinedCard(Modifier.fillMaxWidth().tag("${Tags.TOKEN_ROW}.${token.id}")) {
                Column(Modifier.padding(12.dp), verticalArrangement = Arrangement.spacedBy(6.dp)) {
                    Text(state.displayName(token), fontWeight = FontWeight.Bold)
                    Text("${strings["setup.user_id"]}: ${token.userId}", style = MaterialTheme.typography.bodySmall)
                    Text(state.statusLabel(token), style = MaterialTheme.typography.bodyMedium)
                    val renaming = state.renaming
                    if (renaming != null && renaming.first.id == token.id) {
                        OutlinedTextField(
                            renaming.second,
                            state::onRenameChange,
                            label = { Text(strings["tokens.label"]) },
                            singleLine = true,
                            modifier = Modifier.fillMaxWidth().tag(Tags.RENAME_FIELD),
                        )
                        FlowRow(horizontalArrangement = Arrangement.spacedBy(8.dp)) {
                            SideButton(strings["tokens.save"], Tags.RENAME_SAVE) { state.saveRename() }
                            SideButton(strings["tokens.cancel"], "tokens.renameCancel") { state.cancelRename() }
                        }
                    } else {
                        FlowRow(horizontalArrangement = Arrangement.spacedBy(8.dp)) {
                            SideButton(strings["tokens.open"], "tokens.open.${token.id}") { app.openCode(token.id) }
                            SideButton(strings["tokens.rename"], "${Tags.RENAME}.${token.id}") { state.startRename(token) }
                            SideButton(strings["tokens.remove"], "${Tags.REMOVE}.${token.id}") { state.askRemove(token) }
                        }
                    }
                }
            }
        }
        if (state.canAdd) {
            MainButton(strings["tokens.add"], Tags.ADD_TOKEN) { app.openSetup() }
        } else {
            Text(strings["tokens.full"])
        }
    }
    state.confirmingRemoval?.let { token ->
        AlertDialog(
            onDismissRequest = state::cancelRemove,
            title = { Text(strings["tokens.remove.title"]) },
            text = { Text("${state.displayName(token)}\n\n${strings["tokens.remove.warning"]}") },
            confirmButton = {
                TextButton(state::confirmRemove, Modifier.touchTarget().tag(Tags.REMOVE_CONFIRM)) {
                    Text(strings["tokens.remove.confirm"], color = MaterialTheme.colorScheme.error)
                }
            },
            dismissButton = {
                TextButton(state::cancelRemove, Modifier.touchTarget().tag(Tags.REMOVE_CANCEL)) {
                    Text(strings["tokens.cancel"])
                }
            },
        )
    }
}
