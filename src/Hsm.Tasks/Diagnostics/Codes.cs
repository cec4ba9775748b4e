namespace Hsm.Diagnostics;

/// <summary>
/// Every diagnostic code Hsm can emit. 1xxx manifest and registry, 2xxx resolution, 3xxx staging and
/// sync, 4xxx commit and IO, 5xxx host and tools, 6xxx running the stack, 7xxx publishing, 8xxx command line,
/// 9xxx internal. Each has docs/errors/HSMnnnn.md
/// (a test keeps the two in step). Retired codes are never reused.
/// </summary>
public static class Codes
{
    // 1xxx: reading hsm.yaml and the registry
    public const string YamlSyntax = "HSM1001";
    public const string FileTooLarge = "HSM1002";
    public const string NestingTooDeep = "HSM1003";
    public const string AliasProblem = "HSM1004";
    public const string InvalidUtf8 = "HSM1005";
    public const string DuplicateKey = "HSM1006";
    public const string UnknownKey = "HSM1007";
    public const string WrongType = "HSM1008";
    public const string MissingField = "HSM1009";
    public const string InvalidMode = "HSM1010";
    public const string LegacyKey = "HSM1011";
    public const string IgnoredField = "HSM1012";
    public const string InvalidName = "HSM1013";
    public const string NameMismatch = "HSM1014";
    public const string DuplicateDefinition = "HSM1015";
    public const string UnknownReference = "HSM1016";
    public const string BadGroupOption = "HSM1017";
    public const string StrategyMismatch = "HSM1018";
    public const string BadSelection = "HSM1019";
    public const string YmlIgnored = "HSM1020";
    public const string InvalidSource = "HSM1021";
    public const string UnknownProfile = "HSM1022";
    public const string EmptyDocument = "HSM1023";
    public const string ManifestMissing = "HSM1024";
    public const string RegistryMissing = "HSM1025";
    public const string InvalidModeProperty = "HSM1026";
    public const string NameClash = "HSM1027";
    public const string InvalidValue = "HSM1028";

    // 1035-1059: files that are not regular files, grammars checked at load, risky container settings
    public const string NotRegularFile = "HSM1035";
    public const string InvalidRequirement = "HSM1036";
    public const string InvalidImageReference = "HSM1037";
    public const string InvalidContainerName = "HSM1038";
    public const string InvalidNetworkAlias = "HSM1039";
    public const string InvalidEnvKey = "HSM1040";
    public const string RiskySetting = "HSM1041";
    public const string ComposeFileKey = "HSM1042";
    public const string InvalidPort = "HSM1043";
    public const string WindowsReservedName = "HSM1044";

    // 2xxx: resolution
    public const string ImpliedConflict = "HSM2001";
    public const string ComponentConflict = "HSM2002";
    public const string UnknownParam = "HSM2003";
    public const string NoProdSource = "HSM2004";
    public const string NoSource = "HSM2005";
    public const string BadDependsOn = "HSM2006";
    public const string DuplicatePort = "HSM2007";
    public const string DuplicateContainerName = "HSM2008";
    public const string EnvConflict = "HSM2009";
    public const string EnvFileProblem = "HSM2010";
    public const string TakeOver = "HSM2011";
    public const string LockedMismatch = "HSM2012";
    public const string DynamicDependencies = "HSM2013";
    public const string ConnectionVarClash = "HSM2014";
    public const string ComposeKeyClash = "HSM2015";
    public const string LocalPathMissing = "HSM2016";
    public const string NoRelativePath = "HSM2017";
    public const string OwnedEntryEdited = "HSM2018";
    public const string DevFallback = "HSM2019";
    public const string EmptyGroup = "HSM2020";

    // 3xxx: staging and sync
    public const string UvNoSolution = "HSM3001";
    public const string UvFailed = "HSM3002";
    public const string ComposeInvalid = "HSM3003";
    public const string CloneFailed = "HSM3004";
    public const string PyProjectInvalid = "HSM3005";
    public const string CheckoutDiffers = "HSM3006";

    // 3007-3019: uv-runtime services
    public const string UvServiceNotAProject = "HSM3007";

    // 4xxx: commit and IO
    public const string Recovered = "HSM4001";
    public const string GeneratedFileEdited = "HSM4002";
    public const string CommitIo = "HSM4003";
    public const string StaleStage = "HSM4004";
    public const string WouldWrite = "HSM4005";

    // trust and safety (design §9): hsm.lock as input, generated names, rollback, paths
    public const string ReservedServiceName = "HSM1029";
    public const string GeneratedFileTaken = "HSM4006";
    public const string RollbackKeptEdit = "HSM4007";
    public const string LockFileKeyRejected = "HSM4008";
    public const string LockVersionUnknown = "HSM4009";
    public const string LockValueInvalid = "HSM4010";
    public const string StaleFileKept = "HSM4011";
    public const string OutsideProject = "HSM4012";
    public const string JournalRejected = "HSM4013";

    // 4030-4039: artifacts that are special files, read-only targets
    public const string ArtifactNotRegular = "HSM4030";
    public const string ReadOnlyTarget = "HSM4031";

    // 5xxx: host and tools
    public const string WrongHost = "HSM5001";
    public const string UvNotFoundWarning = "HSM5002";
    public const string UvNotFound = "HSM5003";
    public const string InvalidProperty = "HSM5004";

    // 5xxx (issue 10): cancellation, tool time limits, the build lock, on-demand clones and the enclosing git repository
    public const string Cancelled = "HSM5005";
    public const string ToolTimedOut = "HSM5006";
    public const string BuildLockUnavailable = "HSM5007";
    public const string CloneNotExcluded = "HSM5008";
    // 6xxx: running the stack (dotnet run, HsmUp, HsmDown, HsmStatus; docs/run.md)
    public const string EngineUnavailable = "HSM6001";
    public const string ServiceNotHealthy = "HSM6002";
    public const string ContainerNotRunning = "HSM6003";
    public const string ContainerUnhealthy = "HSM6004";
    public const string ImageDiffers = "HSM6005";
    public const string ProcessNotRunning = "HSM6006";
    public const string DependencyNotInstalled = "HSM6007";
    public const string ProcessFailed = "HSM6008";
    public const string ComposeFailed = "HSM6009";
    public const string NotBuilt = "HSM6010";
    // 7xxx: publishing to a multi-host engine (HsmPublish, docs/publish.md)
    public const string PublishSetting = "HSM7001";
    public const string PublishDevOnly = "HSM7002";
    public const string PublishNoImage = "HSM7003";
    public const string PublishInvalidName = "HSM7004";
    public const string PublishNotFaithful = "HSM7005";
    public const string PublishEnvFileOutside = "HSM7006";
    public const string PublishFileNotOurs = "HSM7007";
    public const string PublishNameCollision = "HSM7008";
    // 8xxx: the command line (hsm; src/Hsm.Cli). Loader and resolver problems keep their own codes.
    public const string NotInManifest = "HSM8001";
    public const string NotInRegistry = "HSM8002";
    public const string CannotEdit = "HSM8003";
    public const string RegistryEntryExists = "HSM8004";
    public const string NotConfirmed = "HSM8005";
    public const string AlreadyInitialized = "HSM8006";
    public const string NoProjectFile = "HSM8007";
    public const string RegistryFileInvalid = "HSM8008";
    public const string ChangedMeanwhile = "HSM8009";

    // 9xxx
    public const string Internal = "HSM9001";
}
