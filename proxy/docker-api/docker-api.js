// The calls of the allow-list that nginx cannot judge from the request line alone (nginx.conf
// sends them here): a container's creation, judged by its body, and calls on one container,
// judged by what that container is. Passed calls go on to Docker through /_docker/.
//
// A run container of the deployment is its code location's code server (the container compose
// made from the location's declaration, labelled bookshop.code-location in this compose project,
// COMPOSE_PROJECT_NAME): that image, that server's volumes and mounts, and besides them only
// DAGSTER_RUN_VOLUMES (comma-separated as `name:/path:mode`), on DAGSTER_RUN_NETWORK. The run
// launcher (docker/bookshop_run_launcher.py) builds each one so, and labels it with its location.

const HOST_NAMESPACES = ['NetworkMode', 'PidMode', 'IpcMode', 'UTSMode', 'UsernsMode', 'CgroupnsMode'];
const NOT_ASKED = ['Devices', 'DeviceRequests', 'DeviceCgroupRules', 'CapAdd', 'Mounts', 'VolumesFrom',
    'Sysctls', 'Links', 'ExtraHosts', 'Runtime', 'CgroupParent'];

function refuse(r, status, message) {
    r.headersOut['Content-Type'] = 'application/json';
    r.return(status, JSON.stringify({message: 'refused by the bookshop Docker API proxy: ' + message}) + '\n');
}

function forward(r, method, body) {
    const parts = r.variables.request_uri.split('?');
    return r.subrequest('/_docker' + parts[0], {method: method, args: parts[1] || '', body: body});
}

function answer(r, reply) {
    r.headersOut['Content-Type'] = 'application/json';
    r.return(reply.status, reply.responseText);
}

const LOCATION_LABEL = 'bookshop.code-location';

// The code servers of this compose project: all of them, or the one of a code location.
async function codeServers(r, location) {
    const labels = ['com.docker.compose.project=' + process.env.COMPOSE_PROJECT_NAME,
        location === undefined ? LOCATION_LABEL : LOCATION_LABEL + '=' + location];
    const listed = await r.subrequest('/_docker/containers/json',
        {method: 'GET', args: 'all=1&filters=' + encodeURIComponent(JSON.stringify({label: labels})), body: ''});
    return {status: listed.status, text: listed.responseText};
}

// A container's volumes and bind mounts as Docker's `name-or-path:/target:rw|ro` (the run
// launcher's mounts_as_binds).
function mountsAsBinds(container) {
    return (container.Mounts || []).filter((mount) => mount.Type === 'volume' || mount.Type === 'bind')
        .map((mount) => (mount.Type === 'volume' ? mount.Name : mount.Source) + ':' + mount.Destination + ':'
            + (mount.RW ? 'rw' : 'ro'));
}

function isEmpty(value) {
    return value === undefined || value === null || value === '' || value === false
        || (Array.isArray(value) && value.length === 0)
        || (typeof value === 'object' && Object.keys(value).length === 0);
}

// Why this container may not be created, or null: it must be exactly a run container of the
// deployment, the code server of its code location (server: as Docker inspects it, or undefined),
// whatever its creator asks.
function createRefusal(spec, location, server) {
    const network = process.env.DAGSTER_RUN_NETWORK;
    const host = spec.HostConfig || {};
    if (server === undefined) {
        return 'no code server of this deployment serves the code location ' + JSON.stringify(location);
    }
    const volumes = (process.env.DAGSTER_RUN_VOLUMES || '').split(',').filter((volume) => volume)
        .concat(mountsAsBinds(server));
    if (spec.Image !== server.Config.Image) {
        return 'image ' + JSON.stringify(spec.Image) + ' is not the image of the code location '
            + JSON.stringify(location);
    }
    if (host.Privileged) {
        return 'privileged mode';
    }
    for (let i = 0; i < HOST_NAMESPACES.length; i++) {
        const key = HOST_NAMESPACES[i];
        const mode = host[key] || '';
        const own = key === 'NetworkMode' ? network : 'private';
        if (mode !== '' && mode !== own) {
            return key + ' ' + JSON.stringify(mode);
        }
    }
    const endpoints = Object.keys((spec.NetworkingConfig || {}).EndpointsConfig || {});
    if (endpoints.some((name) => name !== network)) {
        return 'networks ' + JSON.stringify(endpoints);
    }
    for (let i = 0; i < NOT_ASKED.length; i++) {
        if (!isEmpty(host[NOT_ASKED[i]])) {
            return NOT_ASKED[i] + ' ' + JSON.stringify(host[NOT_ASKED[i]]);
        }
    }
    const binds = host.Binds || [];
    const foreign = binds.filter((bind) => volumes.indexOf(bind) < 0);
    if (foreign.length) {
        return 'mounts ' + JSON.stringify(foreign);
    }
    const securityOptions = (host.SecurityOpt || []).filter((option) => option.indexOf('no-new-privileges') !== 0);
    if (securityOptions.length) {
        return 'security options ' + JSON.stringify(securityOptions);
    }
    return null;
}

async function create(r) {
    let spec;
    try {
        spec = JSON.parse(r.requestText || '');
    } catch (error) {
        return refuse(r, 400, 'the body is not JSON');
    }
    const location = (spec.Labels || {})[LOCATION_LABEL];
    const servers = await codeServers(r, location === undefined ? '' : location);
    if (servers.status !== 200) {
        return answer(r, {status: servers.status, responseText: servers.text});
    }
    const listed = JSON.parse(servers.text);
    let server;
    if (listed.length === 1) {
        const inspected = await r.subrequest('/_docker/containers/' + listed[0].Id + '/json', {method: 'GET', body: ''});
        if (inspected.status !== 200) {
            return answer(r, inspected);
        }
        server = JSON.parse(inspected.responseText);
    }
    const refusal = createRefusal(spec, location, server);
    if (refusal) {
        r.error('containers/create refused: ' + refusal);
        return refuse(r, 403, refusal);
    }
    const created = await forward(r, 'POST', r.requestText);
    answer(r, created);
}

// A list of containers: this deployment's run containers if the client's filters ask for the
// label dagster/run_id, else its code servers (of one code location, if the filters name one by
// its label); whatever else the client asked.
async function list(r) {
    let asked = [];
    try {
        asked = [].concat(JSON.parse(decodeURIComponent((r.args.filters || '{}').replace(/\+/g, ' '))).label || []);
    } catch (error) {
        return refuse(r, 400, 'the filters are not JSON');
    }
    if (asked.indexOf('dagster/run_id') >= 0) {
        const filters = {label: ['dagster/run_id'], network: [process.env.DAGSTER_RUN_NETWORK]};
        const runs = await r.subrequest('/_docker/containers/json',
            {method: 'GET', args: 'filters=' + encodeURIComponent(JSON.stringify(filters)), body: ''});
        return answer(r, runs);
    }
    const named = asked.filter((label) => label.indexOf(LOCATION_LABEL + '=') === 0);
    const servers = await codeServers(r, named.length ? named[0].slice(LOCATION_LABEL.length + 1) : undefined);
    answer(r, {status: servers.status, responseText: servers.text});
}

// A call on one container (inspect, start, stop, remove) passes only for a run container of the
// deployment: labelled with a Dagster run id by the run launcher and on the runs' network. A code
// server of the deployment may be inspected too (for what its runs are), nothing more.
async function runContainer(r) {
    const segments = r.variables.request_uri.split('?')[0].split('/');
    const inspected = await r.subrequest('/_docker/' + segments[1] + '/containers/' + segments[3] + '/json',
        {method: 'GET', body: ''});
    if (inspected.status !== 200) {
        return answer(r, inspected);
    }
    const container = JSON.parse(inspected.responseText);
    const labels = (container.Config || {}).Labels || {};
    const isRun = labels['dagster/run_id'] !== undefined
        && (container.HostConfig || {}).NetworkMode === process.env.DAGSTER_RUN_NETWORK;
    const isCodeServer = labels[LOCATION_LABEL] !== undefined && labels['dagster/run_id'] === undefined
        && labels['com.docker.compose.project'] === process.env.COMPOSE_PROJECT_NAME;
    if (r.method === 'GET' && (isRun || isCodeServer)) {
        return answer(r, inspected);
    }
    if (!isRun) {
        return refuse(r, 403, 'not a run container of this deployment');
    }
    const done = await forward(r, r.method, r.requestText || '');
    answer(r, done);
}

export default {create, runContainer, list};
