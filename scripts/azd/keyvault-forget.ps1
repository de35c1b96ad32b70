# azd postdown hook on Windows: the same as keyvault-forget.sh (read it for why).
$ErrorActionPreference = 'Stop'
azd env set BASEGATE_KEYVAULT_NAME ''
azd env set AZURE_KEY_VAULT_NAME ''
Write-Output 'basegate: the removed Key Vault stays soft-deleted for its retention period; the next azd up creates a new one'
