//! [`SoftToken`], the exported object: a thin wrapper over [`softtoken_core::SoftToken`] that
//! converts types and errors and runs async work on the library's runtime.

use std::{path::PathBuf, sync::Arc};

use softtoken_core::{self as core, StoreChoice, Timeouts};
use zeroize::Zeroizing;

use crate::{
    config::CoreConfig,
    error::FfiError,
    foreign::{ClockAdapter, SecretStoreAdapter},
    runtime,
    transaction::{DecisionOutcome, PendingTransaction},
    types::{OtpCode, TokenInfo},
};

/// The app core: activation, seeds in the keystore, codes, status and re-setup.
///
/// One instance per app is enough; it is safe to call from any thread. Close it (Kotlin
/// `close()`/`use {}`, Swift: release it) when done.
#[derive(Debug, uniffi::Object)]
pub struct SoftToken {
    inner: Arc<core::SoftToken>,
}

#[uniffi::export]
impl SoftToken {
    /// Opens the core: metadata directory, keystore, provider client (with the pinned CA).
    #[uniffi::constructor]
    pub fn new(config: CoreConfig) -> Result<Arc<SoftToken>, FfiError> {
        let secret_store = match config.secret_store {
            Some(store) => StoreChoice::Foreign(Arc::new(SecretStoreAdapter(store))),
            None => StoreChoice::Platform,
        };
        let clock = config
            .clock
            .map(|clock| Arc::new(ClockAdapter(clock)) as Arc<dyn core::Clock>);
        let inner = core::SoftToken::new(core::CoreConfig {
            provider_url: config.provider_url,
            provider_ca_pem: config.provider_ca_pem,
            data_dir: PathBuf::from(config.data_dir),
            secret_store,
            clock,
            timeouts: Timeouts {
                connect_ms: config.connect_timeout_ms,
                request_ms: config.request_timeout_ms,
            },
            device: config.device.into(),
        })?;
        Ok(Arc::new(SoftToken {
            inner: Arc::new(inner),
        }))
    }

    /// Sets up a token from what the user typed: Service ID, User ID (full-width digits,
    /// spaces and hyphens are fine; a typo is caught here before anything is sent) and the
    /// activation password (利用開始パスワード). Retrying after a lost reply is always safe.
    pub async fn activate(
        &self,
        service_id: String,
        user_id: String,
        activation_password: String,
    ) -> Result<TokenInfo, FfiError> {
        let inner = Arc::clone(&self.inner);
        let password = Zeroizing::new(activation_password);
        runtime::run(async move {
            let info = inner.activate(&service_id, &user_id, &password).await?;
            Ok(info.into())
        })
        .await
    }

    /// Asks the provider for the token's state (how the app learns of a revocation) and
    /// corrects the clock offset.
    pub async fn refresh(&self, token_id: String) -> Result<TokenInfo, FfiError> {
        let inner = Arc::clone(&self.inner);
        runtime::run(async move { Ok(inner.refresh(&token_id).await?.into()) }).await
    }

    /// Every token on this phone, oldest first.
    pub fn tokens(&self) -> Result<Vec<TokenInfo>, FfiError> {
        Ok(self.inner.tokens()?.into_iter().map(Into::into).collect())
    }

    /// The code to show now, with its countdown. Refused for a revoked, expired or
    /// set-up-again token.
    pub fn current_code(&self, token_id: String) -> Result<OtpCode, FfiError> {
        Ok(self.inner.current_code(&token_id)?.into())
    }

    /// Removes a token from this phone: its seed, then its metadata.
    pub fn remove(&self, token_id: String) -> Result<(), FfiError> {
        Ok(self.inner.remove(&token_id)?)
    }

    /// Sets (or with `None` clears) a token's label, at most 64 characters.
    pub fn rename(&self, token_id: String, label: Option<String>) -> Result<TokenInfo, FfiError> {
        Ok(self.inner.rename(&token_id, label)?.into())
    }

    /// The token's pending transfers (取引認証), oldest first, from a list whose provider MAC
    /// verified; a list that does not verify is `PossibleInterception` and shows nothing.
    pub async fn pending_transactions(
        &self,
        token_id: String,
    ) -> Result<Vec<PendingTransaction>, FfiError> {
        let inner = Arc::clone(&self.inner);
        runtime::run(async move {
            let pending = inner.pending_transactions(&token_id).await?;
            Ok(pending.into_iter().map(Into::into).collect())
        })
        .await
    }

    /// Approves, with one tap, a transfer of the last list [`Self::pending_transactions`]
    /// returned (sends the 署名値).
    pub async fn approve_transaction(
        &self,
        token_id: String,
        transaction_id: String,
    ) -> Result<DecisionOutcome, FfiError> {
        self.decide(token_id, transaction_id, Tap::Approve).await
    }

    /// Rejects a transfer of the last list: tells the bank the user does not recognise it.
    pub async fn reject_transaction(
        &self,
        token_id: String,
        transaction_id: String,
    ) -> Result<DecisionOutcome, FfiError> {
        self.decide(token_id, transaction_id, Tap::Reject).await
    }

    /// The 8-digit code of a transfer of the last list, for the user to type into the bank's
    /// transfer page; valid for its minute. `TransactionNotFound` for an id the last list did
    /// not show.
    pub fn transaction_code(
        &self,
        token_id: String,
        transaction_id: String,
    ) -> Result<OtpCode, FfiError> {
        Ok(self
            .inner
            .transaction_code(&token_id, &transaction_id)?
            .into())
    }

    /// The offline code (振込先専用ワンタイムパスワード) for the payee's account number as the
    /// user typed it and, where the bank asks for it, the amount (full-width digits, spaces,
    /// `,`, `¥` and `円` are fine); `InvalidInput` for anything else.
    pub fn offline_code(
        &self,
        token_id: String,
        account_number: String,
        amount: Option<String>,
    ) -> Result<OtpCode, FfiError> {
        Ok(self
            .inner
            .offline_code(&token_id, &account_number, amount.as_deref())?
            .into())
    }
}

/// Which one-tap decision [`SoftToken::decide`] sends.
#[derive(Clone, Copy)]
enum Tap {
    Approve,
    Reject,
}

impl SoftToken {
    /// Approve and reject: one path onto the runtime for both.
    async fn decide(
        &self,
        token_id: String,
        transaction_id: String,
        tap: Tap,
    ) -> Result<DecisionOutcome, FfiError> {
        let inner = Arc::clone(&self.inner);
        runtime::run(async move {
            let outcome = match tap {
                Tap::Approve => inner.approve_transaction(&token_id, &transaction_id).await,
                Tap::Reject => inner.reject_transaction(&token_id, &transaction_id).await,
            };
            Ok(outcome?.into())
        })
        .await
    }
}
