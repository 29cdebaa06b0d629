package dev.softtoken.ui

import androidx.compose.foundation.layout.Arrangement
import androidx.compose.foundation.layout.Column
import androidx.compose.foundation.layout.FlowRow
import androidx.compose.foundation.layout.fillMaxWidth
import androidx.compose.foundation.layout.padding
import androidx.compose.foundation.text.KeyboardOptions
import androidx.compose.material3.MaterialTheme
import androidx.compose.material3.OutlinedCard
import androidx.compose.material3.OutlinedTextField
import androidx.compose.material3.Text
import androidx.compose.runtime.Composable
import androidx.compose.runtime.rememberCoroutineScope
import androidx.compose.ui.Modifier
import androidx.compose.ui.text.font.FontFamily
import androidx.compose.ui.text.font.FontWeight
import androidx.compose.ui.text.input.KeyboardType
import androidx.compose.ui.unit.dp
import androidx.compose.ui.unit.sp
import kotlinx.coroutines.launch

/** 取引認証: the pending transfers with 承認/拒否 and their codes, and the offline entry. */
@Composable
internal fun TransactionsScreen(state: TransactionsState, app: AppState) {
    val strings = app.strings
    val scope = rememberCoroutineScope()
    ScreenFrame(strings["tx.title"], { app.back() }, strings["common.back"]) {
        state.outcome?.let { BannerView(Severity.INFO, it, strings, Tags.TX_OUTCOME) }
        state.error?.let { BannerView(Severity.ERROR, it, strings, "tx.error") }
        if (state.pending.isEmpty()) Text(strings["tx.none"])
        for (tx in state.pending) {
            OutlinedCard(Modifier.fillMaxWidth().tag("${Tags.TX_ROW}.${tx.id}")) {
                Column(Modifier.padding(12.dp), verticalArrangement = Arrangement.spacedBy(6.dp)) {
                    Text("${strings["tx.payee"]}: ${state.payeeLine(tx)}")
                    Text("${strings["tx.amount"]}: ${state.amountLine(tx)}", fontWeight = FontWeight.Bold)
                    FlowRow(horizontalArrangement = Arrangement.spacedBy(8.dp)) {
                        SideButton(strings["tx.approve"], "${Tags.APPROVE}.${tx.id}") { scope.launch { state.approve(tx) } }
                        SideButton(strings["tx.reject"], "${Tags.REJECT}.${tx.id}") { scope.launch { state.reject(tx) } }
                        SideButton(strings["tx.show_code"], "${Tags.TX_SHOW_CODE}.${tx.id}") { state.showCode(tx) }
                    }
                    state.transactionCode?.takeIf { it.first == tx.id }?.let { (_, code) ->
                        Text("${strings["tx.code"]}: $code", fontFamily = FontFamily.Monospace, fontSize = 22.sp, modifier = Modifier.tag(Tags.TX_CODE))
                    }
                }
            }
        }
        Text(strings["tx.offline.title"], style = MaterialTheme.typography.titleMedium, fontWeight = FontWeight.Bold)
        OutlinedTextField(
            state.offlineAccount, state::onOfflineAccountChange,
            label = { Text(strings["tx.offline.account"]) }, singleLine = true,
            keyboardOptions = KeyboardOptions(keyboardType = KeyboardType.Number),
            modifier = Modifier.fillMaxWidth().tag(Tags.OFFLINE_ACCOUNT),
        )
        OutlinedTextField(
            state.offlineAmount, state::onOfflineAmountChange,
            label = { Text(strings["tx.offline.amount"]) }, singleLine = true,
            keyboardOptions = KeyboardOptions(keyboardType = KeyboardType.Number),
            modifier = Modifier.fillMaxWidth().tag(Tags.OFFLINE_AMOUNT),
        )
        SideButton(strings["tx.offline.generate"], Tags.OFFLINE_GENERATE) { state.generateOffline() }
        state.offlineCode?.let {
            Text(it, fontFamily = FontFamily.Monospace, fontSize = 28.sp, modifier = Modifier.tag(Tags.OFFLINE_CODE))
        }
    }
}
