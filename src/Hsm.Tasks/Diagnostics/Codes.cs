namespace Hsm.Diagnostics;

/// <summary>
/// Every diagnostic code Hsm can emit. 1xxx manifest and registry, 2xxx resolution, 3xxx staging and
/// sync, 4xxx commit and IO, 5xxx host and tools, 9xxx internal. Each has docs/errors/HSMnnnn.md
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

    // 4030-4039: artifacts that are special files, read-only targets
    public const string ArtifactNotRegular = "HSM4030";
    public const string ReadOnlyTarget = "HSM4031";

    // 5xxx: host and tools
    public const string WrongHost = "HSM5001";
    public const string UvNotFoundWarning = "HSM5002";
    public const string UvNotFound = "HSM5003";
    public const string InvalidProperty = "HSM5004";

    // 9xxx
    public const string Internal = "HSM9001";
}
