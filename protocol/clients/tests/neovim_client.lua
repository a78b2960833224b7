-- Neovim's built-in LSP client (vim.lsp.rpc, as in Debian's Neovim 0.7) drives `docker-preflight serve`:
-- initialize, diagnose with a workDoneToken ($/progress before the response), shutdown and exit.
--
--   nvim --headless -u NONE -i NONE -n -c 'luafile protocol/clients/tests/neovim_client.lua' -c 'cquit 2'
--
-- Environment as for the Python client tests (client_test_support.py). Exits 0 when every check passes, 1 when
-- one fails (2: the script itself did not run to the end).

local TIMEOUT_MS = 60000
local failures = {}

local function check(condition, message)
  if not condition then table.insert(failures, message) end
  return condition
end

local progress = {}
local exit_code = nil
local rpc = vim.lsp.rpc.start(os.getenv('PREFLIGHT_BINARY'), { 'serve' }, {
  notification = function(method, params)
    if method == '$/progress' then table.insert(progress, { token = params.token, kind = params.value.kind }) end
  end,
  on_exit = function(code, _signal) exit_code = code end,
})

-- Sends a request and waits for its answer; returns err, result.
local function request(method, params)
  local done, err, result = false, nil, nil
  local sent = rpc.request(method, params, function(e, r) done, err, result = true, e, r end)
  check(sent, method .. ': not sent')
  check(vim.wait(TIMEOUT_MS, function() return done end, 10), method .. ': no answer')
  return err, result
end

-- An empty Lua table is encoded as `[]`, as plugins that do not use vim.empty_dict() send it: the server reads `[]`
-- as `{}` wherever an object is expected.
local err, result = request('initialize', {
  processId = vim.fn.getpid(), clientInfo = { name = 'neovim' }, capabilities = {},
  initializationOptions = {},
})
check(err == nil and result.serverInfo.name == 'docker-preflight', 'initialize: ' .. vim.inspect(err or result))
check(vim.tbl_contains(result and result.capabilities.methods or {}, 'diagnose'), 'initialize lists diagnose')
rpc.notify('initialized', vim.empty_dict())

err, result = request('diagnose', { host = os.getenv('PREFLIGHT_TEST_ENGINE_HOST'), workDoneToken = 'nvim-1' })
if check(err == nil and result ~= nil, 'diagnose: ' .. vim.inspect(err)) then
  check(result.healthy == true and result.status == 'ready', 'diagnose: ' .. vim.inspect(result))
  check(type(result.engine) == 'table' and result.engine.apiVersion ~= nil, 'diagnose names the API version')
end
-- Progress arrives before the response: both are in by now, in order.
local ours = vim.tbl_filter(function(p) return p.token == 'nvim-1' end, progress)
local kinds = vim.tbl_map(function(p) return p.kind end, ours)
check(vim.deep_equal(kinds, { 'begin', 'end' }), 'diagnose progress: ' .. vim.inspect(kinds))

err, result = request('shutdown', nil)
check(err == nil and result == nil, 'shutdown answers null: ' .. vim.inspect(err or result))
rpc.notify('exit', nil)
check(vim.wait(TIMEOUT_MS, function() return exit_code ~= nil end, 10), 'the server did not exit')
check(exit_code == 0, 'exit after shutdown: status ' .. tostring(exit_code))

if #failures > 0 then
  io.stderr:write('neovim: FAILED: ' .. table.concat(failures, '; ') .. '\n')
  os.exit(1)
end
io.stdout:write('neovim: passed\n')
os.exit(0)
