//! How failed AWS calls read: the whole chain of causes, the HTTP status
//! of a response without an error code, and no Debug dump of SDK structs.

use aws_sdk_cloudformation::Client;
use aws_smithy_mocks::mock;

use super::*;
use crate::deploy::state;
use crate::deploy::{error_chain, DeployError};

#[derive(Debug)]
struct Layer {
    message: &'static str,
    source: Option<Box<Layer>>,
}

impl std::fmt::Display for Layer {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        formatter.write_str(self.message)
    }
}

impl std::error::Error for Layer {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        self.source.as_deref().map(|layer| layer as &(dyn std::error::Error + 'static))
    }
}

#[test]
fn chain_joins_causes_without_debug() {
    let refused = Layer { message: "Connection refused (os error 111)", source: None };
    let connect = Layer { message: "tcp connect error: Connection refused (os error 111)", source: Some(Box::new(refused)) };
    let dispatch = Layer { message: "dispatch failure", source: Some(Box::new(connect)) };

    let text = error_chain(&dispatch);

    assert_eq!(text, "dispatch failure: tcp connect error: Connection refused (os error 111)");
}

#[tokio::test]
async fn http_500_names_status_without_debug() {
    let rule = mock!(Client::describe_stacks).sequence().http_status(500, Some("<html>Internal Server Error</html>".to_owned())).build();
    let (context, _) = context(&[&rule], ScriptedPrompt::unattended());

    let error = state::describe(&context, NAME).await.unwrap_err();

    let DeployError::Aws { action, detail } = &error else { panic!("expected an AWS error, got {error}") };
    assert_eq!(action, "describing stack Backups");
    assert!(detail.starts_with("HTTP 500: "), "{detail}");
    assert!(!detail.contains("Response {"), "no Debug dump of the response: {detail}");
    assert!(!detail.contains("ErrorMetadata"), "no Debug dump of the error: {detail}");
    assert!(error.to_string().len() < 400, "{error}");
}
