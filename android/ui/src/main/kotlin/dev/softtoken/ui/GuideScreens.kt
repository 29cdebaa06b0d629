package dev.softtoken.ui

import androidx.compose.foundation.layout.Column
import androidx.compose.foundation.layout.Arrangement
import androidx.compose.material3.MaterialTheme
import androidx.compose.material3.Text
import androidx.compose.runtime.Composable
import androidx.compose.ui.Modifier
import androidx.compose.ui.semantics.heading
import androidx.compose.ui.semantics.semantics
import androidx.compose.ui.text.font.FontWeight
import androidx.compose.ui.unit.dp

/** 初期設定完了 →「次へ」. */
@Composable
internal fun SetupDoneScreen(app: AppState) {
    val strings = app.strings
    ScreenFrame(strings["done.title"], null, strings["common.back"]) {
        Text(strings["done.body"], style = MaterialTheme.typography.bodyLarge)
        MainButton(strings["done.next"], Tags.NEXT) { app.next() }
    }
}

/** 機種変更: the two ways to a new phone. */
@Composable
internal fun PhoneChangeScreen(app: AppState) {
    val strings = app.strings
    ScreenFrame(strings["phone.title"], { app.back() }, strings["common.back"]) {
        Text(strings["phone.intro"], style = MaterialTheme.typography.bodyLarge)
        for (path in PhoneChangeGuide.paths(strings)) {
            Column(verticalArrangement = Arrangement.spacedBy(6.dp)) {
                Text(
                    path.title,
                    style = MaterialTheme.typography.titleMedium,
                    fontWeight = FontWeight.Bold,
                    modifier = Modifier.semantics { heading() },
                )
                path.steps.forEachIndexed { index, step -> Text("${index + 1}. $step") }
            }
        }
    }
}
