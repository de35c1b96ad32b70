# azd preprovision hook on Windows: the same as keyvault-name.sh (read it for why).
$ErrorActionPreference = 'Stop'
function Get-AzdValue($name) {
  $v = azd env get-value $name 2>$null
  if ($LASTEXITCODE -ne 0) { return '' }
  return "$v".Trim()
}
if (Get-AzdValue 'BASEGATE_KEYVAULT_NAME') { exit 0 }
$name = Get-AzdValue 'AZURE_KEY_VAULT_NAME'
if (-not $name) {
  $bytes = [byte[]]::new(8)
  [System.Security.Cryptography.RandomNumberGenerator]::Fill($bytes)
  $name = 'kv-' + (($bytes | ForEach-Object { $_.ToString('x2') }) -join '')
}
azd env set BASEGATE_KEYVAULT_NAME $name
Write-Output "basegate: Key Vault of this deployment: $name"
