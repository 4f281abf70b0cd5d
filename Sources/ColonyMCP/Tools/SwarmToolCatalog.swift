/// The swarm tools' definitions (see `SwarmTools`), with schemas written for a language model.
enum SwarmToolCatalog {
    static let id = #"{"type":"string","pattern":"^[A-Za-z0-9._-]{1,64}$"}"#

    static let agentOutput = """
    {"type":"object","properties":{
       "id":{"type":"string"},"capabilities":{"type":"array","items":{"type":"string"}},
       "capacity":{"type":"integer"},"load":{"type":"integer","description":"Tasks it holds now."},
       "alive":{"type":"boolean","description":"Not retired and seen within the heartbeat timeout."},
       "retired":{"type":"boolean"},"successes":{"type":"integer"},"completions":{"type":"integer"},
       "success_rate":{"type":"number"},"last_seen_microseconds":{"type":"integer"}},
     "required":["id","capabilities","capacity","load","alive"]}
    """

    static let taskOutput = """
    {"type":"object","properties":{
       "id":{"type":"string"},"type":{"type":"string"},"requires":{"type":"array","items":{"type":"string"}},
       "priority":{"type":"integer"},"state":{"type":"string","enum":["queued","assigned","succeeded","failed"]},
       "assignee":{"type":"string"},"attempts":{"type":"integer"},"duration_milliseconds":{"type":"number"},
       "created_microseconds":{"type":"integer"},"created_position":{"type":"integer"}},
     "required":["id","type","state"]}
    """

    static let proposalOutput = """
    {"type":"object","properties":{
       "id":{"type":"string"},"title":{"type":"string"},
       "rule":{"type":"string","enum":["majority","twoThirds","unanimous","weighted"]},
       "quorum":{"type":"integer"},"deadline_microseconds":{"type":"integer"},"allows_vote_change":{"type":"boolean"},
       "status":{"type":"string","description":"open, decided (see winner), unreachable (no option can win any more), noQuorum or noDecision (closed at the deadline)."},
       "winner":{"type":"string"},
       "options":{"type":"array","items":{"type":"object","properties":{"option":{"type":"string"},"votes":{"type":"integer"},"weight":{"type":"integer"}}}},
       "votes_cast":{"type":"integer"},"eligible_voters":{"type":"integer"}},
     "required":["id","status","options","votes_cast"]}
    """

    static let registerAgent = """
    {"name":"register_agent","title":"Register an agent with the swarm",
     "description":"Registers an agent (usually yourself) with what it can do and how many tasks it may hold at once, so create_task/assign_task can give it work. Send heartbeat regularly afterwards: an agent without a recent heartbeat gets no tasks.",
     "inputSchema":{"type":"object","properties":{
       "agent":\(id),
       "capabilities":{"type":"array","items":\(id),"maxItems":32,"description":"What it can do, e.g. [\\"swift\\",\\"review\\"]; a task is given only to agents with every capability it requires."},
       "capacity":{"type":"integer","minimum":1,"maximum":1000,"default":1,"description":"Tasks it may hold at once."}},
      "required":["agent"],"additionalProperties":false},
     "outputSchema":\(agentOutput),
     "annotations":{"title":"Register an agent","readOnlyHint":false,"destructiveHint":false,"idempotentHint":false,"openWorldHint":false}}
    """

    static let heartbeat = """
    {"name":"heartbeat","title":"Tell the swarm an agent is alive",
     "description":"Records that the agent is alive. Agents without a heartbeat within the swarm's timeout (5 minutes unless configured) are not given tasks.",
     "inputSchema":{"type":"object","properties":{"agent":\(id)},"required":["agent"],"additionalProperties":false},
     "outputSchema":\(agentOutput),
     "annotations":{"title":"Heartbeat","readOnlyHint":false,"destructiveHint":false,"idempotentHint":true,"openWorldHint":false}}
    """

    static let createTask = """
    {"name":"create_task","title":"Create a task for the swarm",
     "description":"Creates a queued task of a type (trails of past success are kept per agent and type) that needs some capabilities. Then call assign_task to give it to an agent.",
     "inputSchema":{"type":"object","properties":{
       "task":\(id),
       "type":\(id),
       "requires":{"type":"array","items":\(id),"maxItems":32,"description":"Capabilities an agent must have to take it."},
       "priority":{"type":"integer","minimum":0,"maximum":255,"default":0,"description":"Higher first when assigning queued tasks."},
       "payload":{"description":"Any JSON value kept with the task (what to do)."}},
      "required":["task","type"],"additionalProperties":false},
     "outputSchema":\(taskOutput),
     "annotations":{"title":"Create a task","readOnlyHint":false,"destructiveHint":false,"idempotentHint":false,"openWorldHint":false}}
    """

    static let assignTask = """
    {"name":"assign_task","title":"Assign tasks to agents",
     "description":"Chooses an agent for each task by ant-colony optimisation: among live agents with the required capabilities and room, with probability proportional to trail^alpha x heuristic^beta (trails grow with past success on that task type and evaporate with time). Pass task (one), tasks (several, assigned together without exceeding any agent's capacity) or queued (that many queued tasks, highest priority first). A task no agent can take stays queued and its outcome says why. The choice and its seed are recorded in the log.",
     "inputSchema":{"type":"object","properties":{
       "task":\(id),
       "tasks":{"type":"array","items":\(id),"minItems":1,"maxItems":1000},
       "queued":{"type":"integer","minimum":1,"maximum":1000},
       "seed":{"type":"integer","minimum":0,"description":"Makes the random choice reproducible."}},
      "additionalProperties":false},
     "outputSchema":{"type":"object","properties":{"assignments":{"type":"array","items":{"type":"object","properties":{
       "task_id":{"type":"string"},"agent_id":{"type":"string","description":"Absent when the task stays queued."},
       "probability":{"type":"number"},"candidates":{"type":"integer"},"seed":{"type":"integer"},
       "reason":{"type":"string","description":"Why the task stays queued."}}}}},"required":["assignments"]},
     "annotations":{"title":"Assign tasks","readOnlyHint":false,"destructiveHint":false,"idempotentHint":false,"openWorldHint":false}}
    """

    static let completeTask = """
    {"name":"complete_task","title":"Report a task's result",
     "description":"Completes an assigned task, successfully or not, with how long it took. Success deposits pheromone on the assignee's trail for the task type (more for faster work), so similar tasks go to it more often.",
     "inputSchema":{"type":"object","properties":{
       "task":\(id),
       "success":{"type":"boolean"},
       "duration_ms":{"type":"number","minimum":0,"description":"How long the work took, in milliseconds."},
       "agent":{"type":"string","description":"The reporting agent; if given it must be the assignee."}},
      "required":["task","success","duration_ms"],"additionalProperties":false},
     "outputSchema":\(taskOutput),
     "annotations":{"title":"Complete a task","readOnlyHint":false,"destructiveHint":false,"idempotentHint":false,"openWorldHint":false}}
    """

    static let explainAssignment = """
    {"name":"explain_assignment","title":"Explain an assignment",
     "description":"Shows why a task went (or would go) to an agent: each eligible candidate's trail, heuristic and probability, and for an assigned task the recorded decision and seed.",
     "inputSchema":{"type":"object","properties":{
       "task":\(id),
       "limit":{"type":"integer","minimum":1,"maximum":500,"default":20,"description":"At most this many candidates, most probable first."}},
      "required":["task"],"additionalProperties":false},
     "outputSchema":{"type":"object","properties":{"task_id":{"type":"string"},"state":{"type":"string"},
       "alpha":{"type":"number"},"beta":{"type":"number"},"candidates":{"type":"array","items":{"type":"object"}},
       "eligible_count":{"type":"integer"},"decision":{"type":"object"}},"required":["task_id","candidates"]},
     "annotations":{"title":"Explain an assignment","readOnlyHint":true,"destructiveHint":false,"idempotentHint":true,"openWorldHint":false}}
    """

    static let openProposal = """
    {"name":"open_proposal","title":"Open a proposal for a vote",
     "description":"Opens a question for registered agents to vote on. It is decided as soon as its rule is met by the electorate and the quorum has voted, marked unreachable when no option can win any more, and closed at the deadline otherwise.",
     "inputSchema":{"type":"object","properties":{
       "proposal":\(id),
       "title":{"type":"string","maxLength":4096},
       "options":{"type":"array","items":\(id),"minItems":2,"maxItems":16},
       "voters":{"type":"array","items":\(id),"minItems":1,"maxItems":10000,"description":"Registered agents that may vote."},
       "quorum":{"type":"integer","minimum":1,"default":1,"description":"Votes needed before anything is decided."},
       "rule":{"type":"string","enum":["majority","twoThirds","unanimous","weighted"],"default":"majority","description":"weighted: each voter weighs its success rate."},
       "deadline_seconds":{"type":"integer","minimum":1,"maximum":31622400,"description":"Closes this many seconds from now."},
       "deadline":{"type":"string","description":"Or closes at this RFC 3339 time."},
       "allow_vote_change":{"type":"boolean","default":false}},
      "required":["proposal","options","voters"],"additionalProperties":false},
     "outputSchema":\(proposalOutput),
     "annotations":{"title":"Open a proposal","readOnlyHint":false,"destructiveHint":false,"idempotentHint":false,"openWorldHint":false}}
    """

    static let castVote = """
    {"name":"cast_vote","title":"Vote on a proposal",
     "description":"Casts an eligible agent's vote for one option; answers with the tally, which says whether the proposal is now decided.",
     "inputSchema":{"type":"object","properties":{"proposal":\(id),"agent":\(id),"option":\(id)},
      "required":["proposal","agent","option"],"additionalProperties":false},
     "outputSchema":\(proposalOutput),
     "annotations":{"title":"Vote","readOnlyHint":false,"destructiveHint":false,"idempotentHint":false,"openWorldHint":false}}
    """

    static let getProposal = """
    {"name":"get_proposal","title":"Get a proposal and its tally",
     "description":"The proposal's status, votes per option and winner. A proposal past its deadline is closed (in the log) when read.",
     "inputSchema":{"type":"object","properties":{"proposal":\(id)},"required":["proposal"],"additionalProperties":false},
     "outputSchema":\(proposalOutput),
     "annotations":{"title":"Get a proposal","readOnlyHint":true,"destructiveHint":false,"idempotentHint":true,"openWorldHint":false}}
    """

    static let getSwarm = """
    {"name":"get_swarm","title":"Get an overview of the swarm",
     "description":"Agents (capabilities, load, liveness, success rate), open tasks, the strongest pheromone trails, open proposals and totals; each list at most limit long.",
     "inputSchema":{"type":"object","properties":{
       "limit":{"type":"integer","minimum":1,"maximum":100,"default":20}},"additionalProperties":false},
     "outputSchema":{"type":"object","properties":{"agent_count":{"type":"integer"},"task_counts":{"type":"object"},
       "agents":{"type":"array","items":{"type":"object"}},"open_tasks":{"type":"array","items":{"type":"object"}},
       "strongest_trails":{"type":"array","items":{"type":"object"}},"open_proposals":{"type":"array","items":{"type":"object"}},
       "configuration":{"type":"object"}},"required":["agent_count","agents","open_tasks"]},
     "annotations":{"title":"Get the swarm","readOnlyHint":true,"destructiveHint":false,"idempotentHint":true,"openWorldHint":false}}
    """

    static let all = [registerAgent, heartbeat, createTask, assignTask, completeTask, explainAssignment,
                      openProposal, castVote, getProposal, getSwarm]
}
