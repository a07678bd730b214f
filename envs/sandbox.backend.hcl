# Partial S3 backend configuration of the sandbox: the same S3 backend as the
# other environments, in the sandbox's own S3. `make init|deploy ENV=sandbox`
# (tools/fileproc_tools/terraform.py) creates the bucket and adds the endpoint
# (-backend-config=endpoints={s3="http://127.0.0.1:$SANDBOX_PORT"}).
# The state lives and dies with the sandbox's resources: `make sandbox-down`
# forgets both, so they never disagree.
bucket       = "fileproc-sandbox-terraform-state"
key          = "fileproc/sandbox/terraform.tfstate"
region       = "us-east-1"
encrypt      = true
use_lockfile = true

use_path_style              = true
skip_credentials_validation = true
skip_requesting_account_id  = true
skip_metadata_api_check     = true
skip_region_validation      = true
