//! S3: uploading CDK file assets to the bootstrap bucket, skipping objects already there
//! (asset keys are content hashes, so an existing key holds the same bytes).

use crate::{Aws, AwsError};

/// An S3 client; path-style addressing when an endpoint override is set (an IP address
/// cannot carry a bucket subdomain).
#[derive(Debug, Clone)]
pub struct S3 {
    client: aws_sdk_s3::Client,
}

impl S3 {
    #[must_use]
    pub fn new(aws: &Aws) -> Self {
        let sdk = aws.sdk_config();
        let conf = aws_sdk_s3::config::Builder::from(sdk)
            .force_path_style(sdk.endpoint_url().is_some())
            .build();
        Self {
            client: aws_sdk_s3::Client::from_conf(conf),
        }
    }

    /// Whether `bucket` exists (`HeadBucket`; 404 is `false`).
    ///
    /// # Errors
    /// The AWS error (403 when the caller may not read it).
    pub async fn bucket_exists(&self, bucket: &str) -> Result<bool, AwsError> {
        match self.client.head_bucket().bucket(bucket).send().await {
            Ok(_) => Ok(true),
            Err(err)
                if err.as_service_error().is_some_and(
                    aws_sdk_s3::operation::head_bucket::HeadBucketError::is_not_found,
                ) =>
            {
                Ok(false)
            }
            Err(err) => Err(AwsError::from_sdk("s3:HeadBucket", err)),
        }
    }

    /// Uploads `body` to `bucket/key` unless the key exists. Returns whether it uploaded.
    ///
    /// # Errors
    /// The AWS error (missing bucket: run `cdk bootstrap`).
    pub async fn put_if_absent(
        &self,
        bucket: &str,
        key: &str,
        body: Vec<u8>,
    ) -> Result<bool, AwsError> {
        match self
            .client
            .head_object()
            .bucket(bucket)
            .key(key)
            .send()
            .await
        {
            Ok(_) => return Ok(false),
            Err(err)
                if err.as_service_error().is_some_and(
                    aws_sdk_s3::operation::head_object::HeadObjectError::is_not_found,
                ) => {}
            Err(err) => return Err(AwsError::from_sdk("s3:HeadObject", err)),
        }
        self.client
            .put_object()
            .bucket(bucket)
            .key(key)
            .body(body.into())
            .send()
            .await
            .map_err(|e| AwsError::from_sdk("s3:PutObject", e))?;
        Ok(true)
    }
}
