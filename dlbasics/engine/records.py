"""What the engine is asked to train (Job) and what it returns (Run): the package's one result type."""
from dataclasses import dataclass, field

REACHED, CENSORED, DIVERGED, STUCK = "reached", "censored", "diverged", "stuck"


@dataclass(frozen=True)
class Job:
    """One run to make. setting: a key the experiment factory understands (part2_fc.Setting, "line",
    "detection", a beyond-study condition); lr: the learning rate of its steps."""
    setting: object
    seed: int
    lr: float
    reduction: str = "mean"
    record: bool = False        # keep its curves and final parameters
    perturb: int = 0            # k > 0: a twin whose initial parameters are all scaled by 1 + k 2^-52 (k ulps)


@dataclass
class Run:
    """One finished run: what was trained and how it ended."""
    setting: object
    lr: float
    reduction: str
    seed: int
    iterations: int             # updates made when it stopped (max_iters if censored)
    status: str                 # REACHED, CENSORED, DIVERGED or STUCK (a dead net)
    milestones: dict = field(default_factory=dict)   # name -> first iteration it held, or None
    curves: dict = field(default_factory=dict)       # metric -> (iterations + 1,) array (recorded runs)
    params: dict | None = None                       # nn.Module state dict at the stop (recorded runs)
    perturb: int = 0                                 # the job's perturbation, in ulps (0: none)

    @property
    def reached(self):
        return self.status == REACHED

    @property
    def name(self):
        """The setting as the summaries write it: "sigmoid-l2", "line", ..."""
        return getattr(self.setting, "name", self.setting)

    def row(self):
        return [self.name, self.lr, self.reduction, self.seed, self.iterations, self.status, *self.milestones.values()]
