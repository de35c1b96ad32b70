#!/bin/sh
# azd postdown hook: the vault of the removed deployment stays soft-deleted (purge protection), so
# the next `azd up` must choose a new name (keyvault-name.sh). Forget this deployment's.
set -eu
azd env set BASEGATE_KEYVAULT_NAME ''
azd env set AZURE_KEY_VAULT_NAME ''
echo 'basegate: the removed Key Vault stays soft-deleted for its retention period; the next azd up creates a new one'
