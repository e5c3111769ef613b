/**
 * The dashboard's page: plain HTML and CSS, no framework and nothing fetched from elsewhere
 * (it works offline). The script that fills it is ./dashboard-script.ts, served beside it.
 */
export const dashboardHtml = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>regnotify</title>
<style>
  :root { --fg: #1d2330; --muted: #667085; --line: #e4e7ec; --ok: #12805c; --bad: #c4320a;
    --warn: #b54708; --pause: #475467; --bg: #f8f9fb; font-family: system-ui, sans-serif; }
  body { margin: 0; color: var(--fg); background: var(--bg); font-size: 14px; }
  header { display: flex; gap: 16px; align-items: center; padding: 10px 20px; background: #101828; color: #fff; }
  header a { color: #fff; text-decoration: none; font-weight: 600; font-size: 16px; }
  header form { margin-left: auto; display: flex; gap: 6px; }
  header input { width: 360px; padding: 5px 8px; border-radius: 4px; border: 0; }
  main { padding: 16px 20px; }
  h2 { font-size: 16px; margin: 18px 0 8px; }
  table { border-collapse: collapse; width: 100%; background: #fff; border: 1px solid var(--line); }
  th, td { text-align: left; padding: 6px 10px; border-bottom: 1px solid var(--line); vertical-align: top; }
  th { font-weight: 600; color: var(--muted); font-size: 12px; text-transform: uppercase; }
  td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; }
  .state { font-weight: 600; }
  .state-ok { color: var(--ok); } .state-failing { color: var(--bad); } .state-paused { color: var(--pause); }
  .muted { color: var(--muted); }
  .mono { font-family: ui-monospace, monospace; font-size: 12px; word-break: break-all; }
  button { cursor: pointer; padding: 3px 10px; border: 1px solid #98a2b3; border-radius: 4px; background: #fff; }
  button:hover { background: #f2f4f7; }
  button[disabled] { cursor: default; opacity: .5; }
  .bar { display: flex; gap: 8px; align-items: center; margin: 8px 0; }
  .notice { padding: 8px 12px; border-radius: 4px; background: #fffaeb; border: 1px solid #fedf89; margin-bottom: 12px; }
  .error { background: #fef3f2; border-color: #fecdca; }
  .cards { display: flex; gap: 12px; flex-wrap: wrap; }
  .card { background: #fff; border: 1px solid var(--line); border-radius: 6px; padding: 8px 14px; min-width: 110px; }
  .card b { display: block; font-size: 18px; }
  #auth { display: none; }
</style>
</head>
<body>
<header>
  <a href="#/">regnotify</a>
  <span id="status" class="muted"></span>
  <form id="search">
    <input id="search-input" name="q" placeholder="trace: event id, repository[:tag] or digest" autocomplete="off">
    <button type="submit">Trace</button>
  </form>
</header>
<main>
  <form id="auth" class="notice">
    This console needs a token (console.token):
    <input id="auth-token" type="password" autocomplete="off">
    <button type="submit">Use it</button>
  </form>
  <div id="message"></div>
  <div id="view">Loading…</div>
</main>
<script src="/console.js"></script>
</body>
</html>
`;
