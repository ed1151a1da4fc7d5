/*
 * BacklogAI project page: what the tab modules share (an ES module; no
 * state of its own). common.js, a classic script loaded before every
 * module, provides window.BAI; this module hands it to the tab modules as
 * imports, with the page's small renderers that more than one tab uses.
 *
 * The page's context, made once by project.js and passed to each tab's
 * setup(page):
 *   data        the initial state the server embeds (#bai-data)
 *   P           the project's API path, /projects/<key>
 *   stale       {backlog, preview, health}: a tab reloads when it shows again
 *   current()   the selected tab; selectTab(name, focus); hashTab(); writeHash()
 *   scanning()  the scan card is showing
 *   loadBacklog(), savedStrategy()
 *
 * data-testid set here: none of its own (the callers pass them).
 */
export const B = window.BAI;
export const { el, $, $$ } = B;

export const LETTERS = [['I', 'Independent'], ['N', 'Negotiable'], ['V', 'Valuable'], ['E', 'Estimable'], ['S', 'Small'], ['T', 'Testable']];
export const MOSCOW = ['Must', 'Should', 'Could', "Won't"];

/** links makes the issue and issue-search links of a Jira site. */
export function links(jiraUrl) {
  function issueLink(key, testid) {
    return el('a', { class: 'issue-link', href: jiraUrl + '/browse/' + encodeURIComponent(key), target: '_top', 'data-issue-key': key, 'data-testid': testid, text: key });
  }
  // Several issues open in Jira's issue search (a JQL URL), not as text.
  function searchUrl(keys) {
    return jiraUrl + '/issues/?jql=' + encodeURIComponent('key in (' + keys.join(', ') + ') ORDER BY key ASC');
  }
  function searchLink(keys, testid) {
    return el('a', { class: 'btn btn-sm', href: searchUrl(keys), target: '_top', 'data-testid': testid, text: 'Open ' + keys.length + ' in Jira' });
  }
  return { issueLink, searchLink };
}

export function lozenge(m, testid) { return el('span', { class: 'lozenge m-' + B.moscowSlug(m), 'data-testid': testid, text: m || '–' }); }

// No applicable story check (bugs, tasks, epics): "–", never 100.
export function qualityText(q) { return q === null || q === undefined || q < 0 ? '–' : String(q); }
