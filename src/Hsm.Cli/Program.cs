return new Hsm.Cli.Cli().Run(args);
